"""Mapped models and mapped variants of a products-with-variants schema (docs/akeneo.md, mapped-models).

The PIM fills the system targets itself: a model's `code`, `variation_axes` (every axis of its
family variant, level 1 first, with labels) and `variants` (the absolute URL of its variants
endpoint); a variant's `uuid` and `variation_axes_values` (the key of the meta-schema, not the
`variant_axes_values` of one Swagger example). Every other target is empty until the PIM user maps
it, as for products: a model's targets from `product_mapping[target]`, a variant's from
`product_mapping["variants.<target>"]`, read from the model's (or variant's) values merged over its
ancestors'.
"""

from __future__ import annotations

from typing import Any

from akeneo_sync.emulator.mapping import (
    MODEL_SYSTEM_TARGETS,
    VARIANT_SYSTEM_TARGETS,
    ProductMapper,
    schema_targets,
    variant_targets,
)
from akeneo_sync.emulator.model_data import ProductModel, axis_label, option_label
from akeneo_sync.emulator.store import Catalog, Product

__all__ = ["ModelMapper", "VariantMapper", "model_as_product"]


def model_as_product(model: ProductModel, values: dict[str, Any]) -> Product:
    """A model seen through a product's fields, so the product mapper's sources apply to it."""
    return Product(model.code, model.family, list(model.categories), True, model.created, model.updated, values)


class ModelMapper:
    """One catalog's mapped-model renderer; per-target decisions are taken once."""

    __slots__ = ("_order", "_rest")

    def __init__(self, catalog: Catalog, known_attributes: frozenset[str]) -> None:
        targets = schema_targets(catalog.mapping_schema or {})
        rest = {t: spec for t, spec in targets.items() if t not in MODEL_SYSTEM_TARGETS}
        self._rest = ProductMapper(
            {"properties": rest}, catalog.product_mapping, catalog.managed_currencies, known_attributes
        )
        self._order = tuple(targets)

    def __call__(
        self, model: ProductModel, values: dict[str, Any], axes: tuple[str, ...], variants_url: str
    ) -> dict[str, Any]:
        system: dict[str, Any] = {
            "code": model.code,
            "variation_axes": [{"code": axis, "label": axis_label(axis)} for axis in axes],
            "variants": variants_url,
        }
        mapped = self._rest(model_as_product(model, values))
        return {t: system[t] if t in system else mapped[t] for t in self._order if t in system or t in mapped}


class VariantMapper:
    """One catalog's mapped-variant renderer."""

    __slots__ = ("_order", "_rest")

    def __init__(self, catalog: Catalog, known_attributes: frozenset[str]) -> None:
        targets = variant_targets(catalog.mapping_schema)
        rest = {t: spec for t, spec in targets.items() if t not in VARIANT_SYSTEM_TARGETS}
        mapping = {t: catalog.product_mapping.get(f"variants.{t}") for t in rest}
        self._rest = ProductMapper({"properties": rest}, mapping, catalog.managed_currencies, known_attributes)
        # `uuid` and the axes' values are always sent: they identify the variant in its model.
        self._order = tuple(dict.fromkeys(("uuid", "variation_axes_values", *targets)))

    def __call__(self, variant: Product, axes: tuple[str, ...]) -> dict[str, Any]:
        system: dict[str, Any] = {
            "uuid": variant.uuid,
            "variation_axes_values": [
                {"code": axis, "value": variant.values.get(axis), "label": option_label(axis, variant.values.get(axis))}
                for axis in axes
            ],
        }
        mapped = self._rest(variant)
        return {t: system[t] if t in system else mapped[t] for t in self._order if t in system or t in mapped}
