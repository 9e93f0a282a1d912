"""Product models in the emulator: seeding, the admin's edits and the events they send."""

from __future__ import annotations

import json
from typing import Any

import httpx
from emulator_support import Receiver

from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.store import Catalog, Selection, Store
from akeneo_sync.emulator.testing import EmulatorHandle

SHOES = {
    "code": "boot_1",
    "family": "shoes",
    "values": {"name": "Boot"},
    "variants": [{"axes": {"size": size}, "values": {"sku": f"BOOT-{size}"}} for size in ("40", "41")],
}


def _events(pim: EmulatorHandle, receiver: Receiver, count: int) -> list[tuple[str, Any]]:
    receiver.wait_for(count)
    bodies = [json.loads(body) for _, body in receiver.received]
    return [
        (b["type"].removeprefix("com.akeneo.pim.v1."), b["data"].get("product_model") or b["data"]["product"])
        for b in bodies
    ]


def _subscribe(pim: EmulatorHandle, receiver: Receiver) -> None:
    body = {"url": receiver.url, "subscription_id": "sub-m", "secrets": {"primary": "p"}}
    pim.admin.put("/_emulator/event-subscriber", json=body).raise_for_status()


def test_seeded_models_are_deterministic_and_leave_the_simple_products_alone() -> None:
    plain = Store(EmulatorConfig(products=300, seed=3, data_until_s=1_780_000_000))
    seeded = Store(EmulatorConfig(products=300, seed=3, models=20, data_until_s=1_780_000_000))
    again = Store(EmulatorConfig(products=300, seed=3, models=20, data_until_s=1_780_000_000))
    everything = Catalog("c", "app", "all", [], [], selection=Selection(enabled_only=False))
    simple = plain.selected_uuids(everything)

    assert set(seeded.selected_uuids(everything)) - set(seeded.parents) == set(simple)
    assert [seeded.get_product(u) for u in simple[:50]] == [plain.get_product(u) for u in simple[:50]]
    assert sorted(seeded.models) == sorted(again.models)
    assert seeded.parents == again.parents
    roots = [m for m in seeded.models.values() if m.parent is None]
    per_root = [
        sum(1 for p in seeded.parents.values() if p == r.code or seeded.models[p].parent == r.code) for r in roots
    ]
    assert len(roots) == 20
    assert all(2 <= n <= 6 for n in per_root)


def test_creating_a_model_sends_model_and_product_events_keyed_as_the_docs_examples(
    pim: EmulatorHandle, receiver: Receiver
) -> None:
    _subscribe(pim, receiver)
    made = pim.admin.post("/_emulator/models", json=SHOES).json()

    events = _events(pim, receiver, 3)
    assert events[0] == ("product-model.created", {"code": "boot_1"})
    assert sorted(e[1]["uuid"] for e in events[1:]) == sorted(made["variants_created"])
    assert {e[0] for e in events[1:]} == {"product.created"}


def test_changing_deleting_a_variant_and_deleting_a_model_follow_in_the_variants_endpoint(
    pim: EmulatorHandle, api: httpx.Client, receiver: Receiver
) -> None:
    from test_emulator_conformance import VARIANTS_SCHEMA

    catalog = api.post("/api/rest/v1/catalogs", json={"name": "M"}).json()["id"]
    api.put(f"/api/rest/v1/catalogs/{catalog}/mapping-schemas/product", json=VARIANTS_SCHEMA).raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name").raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    first, second = pim.admin.post("/_emulator/models", json=SHOES).json()["variants_created"]
    _subscribe(pim, receiver)
    url = f"/api/rest/v1/catalogs/{catalog}/mapped-models/boot_1/variants"

    pim.admin.patch(f"/_emulator/products/{first}", json={"values": {"sku": "BOOT-40-NEW"}}).raise_for_status()
    pim.admin.delete(f"/_emulator/products/{second}").raise_for_status()
    added = pim.admin.post("/_emulator/models/boot_1/variants", json={"axes": {"size": "44"}}).json()
    after_edits = api.get(url).json()["_embedded"]["items"]
    pim.admin.delete("/_emulator/models/boot_1").raise_for_status()

    assert {(v["uuid"], v.get("sku")) for v in after_edits} == {
        (first, "BOOT-40-NEW"),
        (added["variants_created"][0], None),
    }
    assert api.get(url).status_code == 404
    assert [e[0] for e in _events(pim, receiver, 6)] == [
        "product.updated",
        "product.deleted",
        "product.created",
        "product.deleted",
        "product.deleted",
        "product-model.deleted",
    ]
