"""Checking and serializing batch items before any target sees them."""

from __future__ import annotations

import json
import math

from akeneo_sync.targets.base import Rejection
from akeneo_sync.targets.encoding import encode_batch, trim


def test_products_become_compact_json_text_keeping_non_ascii() -> None:
    encoded = encode_batch([{"uuid": "u1", "name": "Café", "n": [1, 2]}], [])

    assert [(p.uuid, p.body) for p in encoded.upserts] == [("u1", '{"uuid":"u1","name":"Café","n":[1,2]}')]


def test_a_uuid_upserted_twice_keeps_the_last_body_in_the_last_position() -> None:
    encoded = encode_batch([{"uuid": "a", "v": 1}, {"uuid": "b"}, {"uuid": "a", "v": 2}], [])

    assert [(p.uuid, json.loads(p.body).get("v")) for p in encoded.upserts] == [("b", None), ("a", 2)]


def test_deletes_are_deduplicated_in_order() -> None:
    assert encode_batch([], ["b", "a", "b"]).deletes == ("b", "a")


def test_every_refused_item_is_reported_with_its_place_and_the_rest_is_kept() -> None:
    upserts = [
        {"uuid": "ok"},
        {"name": "no uuid"},
        {"uuid": "nan", "x": math.nan},
        {"uuid": "cycle"},
        "just a string",
    ]
    upserts[3]["self"] = upserts[3]  # type: ignore[index]

    encoded = encode_batch(upserts, ["gone", None, ""])

    assert [p.uuid for p in encoded.upserts] == ["ok"]
    assert encoded.deletes == ("gone",)
    assert [(r.uuid, r.reason.split(":")[0]) for r in encoded.rejected] == [
        ("", "upsert #1"),
        ("nan", "upsert #2"),
        ("cycle", "upsert #3"),
        ("", "upsert #4"),
        ("", "delete #1"),
        ("", "delete #2"),
    ]


def test_the_size_limit_counts_utf8_bytes_not_characters() -> None:
    body_of = '{"uuid":"u","s":""}'
    fits = {"uuid": "u", "s": "é" * ((64 - len(body_of)) // 2)}  # two bytes each

    assert encode_batch([fits], [], max_body_bytes=64).rejected == ()
    assert encode_batch([{**fits, "s": fits["s"] + "é"}], [], max_body_bytes=64).rejected == (
        Rejection("u", "upsert #0: body is 65 bytes, over the 64-byte limit"),
    )


def test_a_huge_uuid_is_trimmed_in_the_rejection() -> None:
    [rejection] = encode_batch([{"uuid": "u" * 5000, "x": math.inf}], []).rejected

    assert len(rejection.uuid) == 100


def test_trim_marks_a_cut_and_leaves_short_text_alone() -> None:
    assert trim("short", 10) == "short"
    assert trim("abcdefghijkl", 5) == "abcd…"
