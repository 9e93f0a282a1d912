"""The fast canonical-UUID check means exactly what the `uuid.UUID` round trip meant."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akeneo_sync.state.digests import is_canonical_uuid, pack_uuid, unpack_uuid


def round_trip_says_canonical(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


uuid_forms = st.uuids().flatmap(
    lambda u: st.sampled_from([str(u), str(u).upper(), u.hex, f"{{{u}}}", f"urn:uuid:{u}", f"{u}\n", f" {u}"])
)


@given(st.one_of(uuid_forms, st.text(max_size=40)))
def test_the_check_agrees_with_the_uuid_round_trip(value: str) -> None:
    assert is_canonical_uuid(value) is round_trip_says_canonical(value)


@given(st.uuids())
def test_packing_round_trips_and_refuses_other_forms(value: uuid.UUID) -> None:
    assert pack_uuid(str(value)) == value.bytes
    assert unpack_uuid(pack_uuid(str(value))) == str(value)
    with pytest.raises(ValueError, match="not a canonical UUID"):
        pack_uuid(str(value).upper() if str(value) != str(value).upper() else value.hex)
