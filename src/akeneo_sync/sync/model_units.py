"""Listed models made into units: each model with every page of its variants, checked and digested.

A model is one unit downstream: pushed with its whole variant set, digested whole, skipped when
unchanged. What a push leaves on record (`model_records`) and the letters of the models the
target refused (`rejected_letters`) are the same whichever path pushed them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from akeneo_sync.akeneo.types import MappedModel, MappedModelItem, MappedVariant, Page, follow_pages
from akeneo_sync.state import NewDeadLetter
from akeneo_sync.state.digests import is_canonical_uuid
from akeneo_sync.state.models import ModelRecord
from akeneo_sync.sync.batch import INVALID_PRODUCT, TARGET_REJECTED
from akeneo_sync.sync.digest import canonical_json, digest_bytes

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = [
    "REJECTED",
    "ModelUnits",
    "assemble",
    "fetch_variants",
    "model_codes",
    "model_digest",
    "model_records",
    "rejected_letters",
]

# A model the target refused keeps this digest: its variants stay indexed (the drift probe must
# not take them for products that entered the selection) and the next run pushes it again.
REJECTED: Final = "rejected"


def model_digest(model: MappedModel) -> str:
    """The digest of a model with its whole variant set, as pushed."""
    return digest_bytes(canonical_json(model.item())).hex()


def model_codes(items: Iterable[MappedModelItem]) -> list[str]:
    """The codes of listed models, those without a string code left out."""
    return [code for item in items if isinstance(code := item.get("code"), str) and code]


@dataclass(frozen=True, slots=True)
class ModelUnits:
    models: tuple[MappedModel, ...]
    invalid: tuple[NewDeadLetter, ...]
    gone: tuple[str, ...]  # listed, but their variants answered 404: the model left meanwhile
    # Models refused as invalid, with the UUIDs of their variants: indexed like refused ones.
    refused: tuple[tuple[str, tuple[str, ...]], ...] = ()


def assemble(engine: SyncEngine, catalog: str, items: Sequence[MappedModelItem]) -> ModelUnits:
    """Each listed model with every page of its variants (fetched by several cursors at once)."""
    invalid: list[NewDeadLetter] = []
    wanted: list[MappedModelItem] = []
    for item in items:
        code = item.get("code") if isinstance(item, dict) else None
        if not isinstance(code, str) or not code:
            invalid.append(NewDeadLetter(catalog, INVALID_PRODUCT, "model without a string code", item))
            continue
        wanted.append(item)

    def variants_of(item: MappedModelItem) -> list[MappedVariant] | None:
        inline = item.get("variants")
        if isinstance(inline, list):
            return [v for v in inline if isinstance(v, dict)]
        return fetch_variants(engine, catalog, str(item["code"]))

    with ThreadPoolExecutor(max_workers=max(1, engine.options.cursors)) as pool:
        fetched = list(pool.map(variants_of, wanted))
    models: list[MappedModel] = []
    gone: list[str] = []
    refused: list[tuple[str, tuple[str, ...]]] = []
    for item, variants in zip(wanted, fetched, strict=True):
        if variants is None:
            gone.append(str(item["code"]))
            continue
        bad = [v for v in variants if not isinstance(v.get("uuid"), str) or not is_canonical_uuid(v["uuid"])]
        model = MappedModel.assemble(item, variants)
        if bad or model is None:
            uuids = tuple(u for v in variants if isinstance(u := v.get("uuid"), str) and is_canonical_uuid(u))
            refused.append((str(item["code"]), uuids))
            invalid.append(
                NewDeadLetter(
                    catalog, INVALID_PRODUCT, f"model {item['code']}: a variant without a canonical uuid", item
                )
            )
            continue
        models.append(model)
    return ModelUnits(tuple(models), tuple(invalid), tuple(gone), tuple(refused))


class _ModelGoneError(Exception):
    """A page of variants answered 404 (control flow inside `fetch_variants`, never raised past it)."""


def fetch_variants(engine: SyncEngine, catalog: str, code: str) -> list[MappedVariant] | None:
    """Every variant of a model, following `next`; None when the PIM no longer has the model."""

    def fetch(url: str | None) -> Page[MappedVariant]:
        page = engine.source.model_variants_page(catalog, code, next_url=url, limit=engine.options.page_size)
        if page is None:
            raise _ModelGoneError(code)
        return page

    try:
        return [v for v in follow_pages(fetch) if isinstance(v, dict)]
    except _ModelGoneError:
        return None


def model_records(
    pushed: Iterable[MappedModel], digests: Mapping[str, str], rejected: Mapping[str, str]
) -> dict[str, ModelRecord]:
    """What the state keeps of pushed models: their digest (REJECTED if refused), variants and targets."""
    return {
        m.code: ModelRecord(
            REJECTED if m.code in rejected else digests[m.code],
            tuple(str(v["uuid"]) for v in m.variants),
            dict(m.targets),
        )
        for m in pushed
    }


def rejected_letters(catalog: str, rejected: Mapping[str, str], run_id: str) -> list[NewDeadLetter]:
    """One dead letter per model the target refused, with its reason."""
    return [
        NewDeadLetter(catalog, TARGET_REJECTED, f"model {code}: {reason}", {"code": code}, None, run_id)
        for code, reason in rejected.items()
    ]
