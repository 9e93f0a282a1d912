"""The fast canonical-UUID check means exactly what the `uuid.UUID` round trip meant."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akeneo_sync.state.digests import is_canonical_uuid, join_packed, pack_uuid, try_pack_uuid, unpack_uuid


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


@given(st.one_of(uuid_forms, st.text(max_size=40), st.integers(), st.none()))
def test_try_pack_packs_exactly_what_pack_accepts(value: object) -> None:
    expected = uuid.UUID(value).bytes if isinstance(value, str) and round_trip_says_canonical(value) else None
    assert try_pack_uuid(value) == expected


@given(st.binary(min_size=16, max_size=16))
def test_unpacking_formats_like_the_uuid_module(value: bytes) -> None:
    assert unpack_uuid(value) == str(uuid.UUID(bytes=value))


@pytest.mark.parametrize("value", [b"", b"x" * 15, b"x" * 17])
def test_only_sixteen_bytes_unpack(value: bytes) -> None:
    with pytest.raises(ValueError, match="not a packed UUID"):
        unpack_uuid(value)


def test_the_scripts_get_records_of_sixteen_bytes_only() -> None:
    assert join_packed([b"a" * 16, b"b" * 16]) == b"a" * 16 + b"b" * 16
    # A 15- and a 17-byte part would still add up to 32: each part is checked.
    with pytest.raises(ValueError, match="16 bytes"):
        join_packed([b"a" * 15, b"b" * 17])
