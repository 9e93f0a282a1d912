"""The digest's canonical form is byte for byte the `json.dumps` form digests were stored under."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st
from sync_fakes import product_uuid

from akeneo_sync.state.digests import pack_uuid
from akeneo_sync.sync import digest
from akeneo_sync.sync.digest import batch_fingerprint, canonical_json, product_digest
from akeneo_sync.sync.validate import InvalidProduct, ValidProduct, validate_product

# Anything json.loads can return, plus what it cannot (NaN, infinities, huge ints, lone surrogates).
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.text(),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Co", "Lo"])),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20
)


def reference(value: Any) -> bytes | type[Exception]:
    """The canonical form as it was first defined (what the stored digests were computed from)."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        return type(exc)


def ours(value: Any) -> bytes | type[Exception]:
    try:
        return canonical_json(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


@given(json_values)
def test_the_canonical_form_is_exactly_the_sorted_compact_json_dumps_form(value: Any) -> None:
    assert ours(value) == reference(value)


@given(json_values)
def test_the_fallback_without_the_c_encoder_gives_the_same_bytes(value: Any) -> None:
    with patch.object(digest, "_C_ENCODER", None):
        assert ours(value) == reference(value)


def test_a_known_product_keeps_the_digest_it_had_before() -> None:
    # Pinned (computed with the json.dumps implementation): a changed value would make every
    # store push its whole catalog again once.
    product = {
        "uuid": product_uuid(1),
        "name": "Thé vert",
        "price": {"amount": 1e-05, "currency": "EUR"},
        "n": [1, None],
    }

    assert product_digest(product).hex() == "3a8622c9b7d08ca8e0f8513a8641548b"


def test_a_cyclic_object_is_an_invalid_product_not_a_crash() -> None:
    item: dict[str, Any] = {"uuid": product_uuid(1)}
    item["self"] = item

    checked = validate_product(item)

    assert isinstance(checked, InvalidProduct)
    assert (checked.uuid, checked.detail.startswith("not serializable as JSON")) == (product_uuid(1), True)


@given(st.lists(st.tuples(st.uuids().map(str), st.binary(min_size=16, max_size=16)), max_size=20))
def test_the_batch_fingerprint_is_the_one_computed_item_by_item(items: list[tuple[str, bytes]]) -> None:
    hasher = hashlib.blake2b(digest_size=16)
    for uuid, value in items:
        hasher.update(uuid.encode())
        hasher.update(value)
    assert batch_fingerprint(items) == hasher.hexdigest()


def test_a_valid_product_carries_its_packed_uuid_and_packs_on_use_without_it() -> None:
    checked = validate_product({"uuid": product_uuid(3)})

    assert isinstance(checked, ValidProduct)
    assert checked.packed == checked.key == pack_uuid(product_uuid(3))
    assert ValidProduct(product_uuid(4), {}, b"d" * 16).key == pack_uuid(product_uuid(4))
