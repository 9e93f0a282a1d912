"""Catalog ids from a PIM are UUIDs or nothing: they end up in Redis keys and metric labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from akeneo_sync.errors import PimError

MakeKit = Callable[..., Any]  # conftest.make_kit -> ClientKit(client, pim, clock)
GOOD = "65f5a521-e65c-4d7b-8be8-1f267fa2729c"


def _page(*ids: str) -> httpx.Response:
    items = [{"id": catalog_id, "name": "n", "enabled": True} for catalog_id in ids]
    return httpx.Response(200, json={"_links": {"self": {"href": "x"}}, "_embedded": {"items": items}})


@pytest.mark.parametrize(
    "hostile",
    ["cat-1:digests:*", "../../admin", "x" * 10_000, GOOD + "\n", f"{GOOD}:seen", "", "tenant:{a}"],
)
def test_a_catalog_id_that_is_not_a_uuid_is_refused_at_the_client(make_kit: MakeKit, hostile: str) -> None:
    kit = make_kit(_page(GOOD, hostile), max_attempts=1)
    with pytest.raises(PimError, match="unexpected shape"):
        list(kit.client.iter_catalogs())


def test_uuid_catalog_ids_read_as_before(make_kit: MakeKit) -> None:
    kit = make_kit(_page(GOOD, GOOD.upper()))
    assert [c.id for c in kit.client.iter_catalogs()] == [GOOD, GOOD.upper()]
