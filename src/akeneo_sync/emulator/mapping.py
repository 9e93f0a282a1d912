"""Product mapping schemas: validation as the PIM does it, and mapped products computed from them.

The validator follows the published meta-schema 1.0.3 (docs: content/mapping/product/1.0.3/schema)
closely enough to refuse what Akeneo refuses: unknown keywords, bad types, object targets that are
not a price/measurement/localized shape, a flat schema without `uuid`, more than 600 targets.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Final

from akeneo_sync.emulator.catalog_data import atom
from akeneo_sync.emulator.store import Catalog, Product

__all__ = [
    "META_SCHEMA_VERSIONS",
    "MODEL_SYSTEM_TARGETS",
    "VARIANT_AXIS_ATTRIBUTES",
    "VARIANT_SYSTEM_TARGETS",
    "ProductMapper",
    "SchemaInvalidError",
    "is_variants_mode",
    "map_product",
    "schema_targets",
    "suggested_mapping",
    "suggested_source",
    "validate_schema",
    "variant_targets",
]

META_SCHEMA_VERSIONS: Final[tuple[str, ...]] = (
    *(f"0.0.{n}" for n in range(1, 14)),
    "0.1.0",
    "0.2.0",
    "0.3.0",
    "1.0.0",
    "1.0.1",
    "1.0.2",
    "1.0.3",
    "1.0.4",
)
_KNOWN_SCHEMAS: Final = frozenset(f"https://api.akeneo.com/mapping/product/{v}/schema" for v in META_SCHEMA_VERSIONS)
_TOP_KEYS: Final = frozenset(
    {"$id", "$schema", "$comment", "$defs", "title", "description", "type", "properties", "required", "metadata"}
)
_TARGET_KEYS: Final = frozenset(
    {
        "title",
        "description",
        "type",
        "format",
        "items",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "enum",
        "enumLink",
        "properties",
        "required",
    }
)
_ITEM_KEYS: Final = frozenset({"type", "format", "enum", "enumLink", "properties", "required"})
_TYPES: Final = frozenset({"string", "number", "boolean", "array", "object"})
# The three object shapes a target may take, keyed by their sorted property names.
_OBJECT_SHAPES: Final[dict[tuple[str, ...], str]] = {
    ("amount", "currency"): "price",
    ("unit", "value"): "measurement",
    ("locale", "value"): "localized",
}
# Targets whose natural source has another name than the target itself.
_ALIASES: Final[dict[str, str]] = {
    "is_active": "enabled",
    "active": "enabled",
    "status": "enabled",
    "title": "name",
    "code": "sku",
    "identifier": "sku",
    "image": "image_url",
    "main_image": "image_url",
    "gtin": "ean",
}
_SPECIAL_SOURCES: Final = frozenset({"uuid", "enabled", "family", "categories", "created", "updated"})

MappedProduct = dict[str, Any]


class SchemaInvalidError(Exception):
    """The schema is refused; `message` is the text of the 422 `errors` entry."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate_schema(schema: Any, max_targets: int) -> None:
    """Raise `SchemaInvalidError` unless `schema` is a product mapping schema the PIM accepts."""
    if not isinstance(schema, dict) or "$schema" not in schema:
        raise SchemaInvalidError("You must provide a $schema reference.")
    if schema["$schema"] not in _KNOWN_SCHEMAS:
        raise SchemaInvalidError("You must provide a valid $schema reference.")
    invalid = SchemaInvalidError("You must provide a valid schema.")
    if set(schema) - _TOP_KEYS or schema.get("type") != "object":
        raise invalid
    targets = schema.get("properties", {})
    if not isinstance(targets, dict) or len(targets) > max_targets:
        raise invalid
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise invalid
    flat = "uuid" in targets
    if flat and ("variation_axes" in targets or "variants" in targets or targets["uuid"].get("type") != "string"):
        raise invalid
    if not flat and not {"code", "variation_axes", "variants"} <= set(targets):
        raise invalid
    for name, target in targets.items():
        if not flat and name in MODEL_SYSTEM_TARGETS:
            if not _valid_model_target(name, target, max_targets):
                raise invalid
        elif not isinstance(name, str) or not _valid_target(target):
            raise invalid


# The targets of a products-with-variants schema the PIM fills itself (meta-schema 1.0.x,
# `productsWithVariantsMode`); every other target needs the PIM user's mapping.
MODEL_SYSTEM_TARGETS: Final = ("code", "variation_axes", "variants")
VARIANT_SYSTEM_TARGETS: Final = ("uuid", "variation_axes_values")
_URI: Final = {"type": "string", "format": "uri"}


def _valid_model_target(name: str, target: Any, max_targets: int) -> bool:
    """`code`, `variation_axes` and `variants` as the meta-schema's variants mode shapes them."""
    if not isinstance(target, dict):
        return False
    if name == "code":
        return target.get("type") == "string" and not set(target) - {"title", "description", "type"}
    if name == "variation_axes":
        return target.get("type") == "array" and isinstance(target.get("items"), dict)
    # `variants`: a URI, or (meta-schema 1.0.x) `oneOf` [a URI, an array of variant objects].
    if {k: v for k, v in target.items() if k in ("type", "format")} == _URI and "oneOf" not in target:
        return True
    one_of = target.get("oneOf")
    if set(target) - {"oneOf", "title", "description"} or not isinstance(one_of, list) or len(one_of) != 2:
        return False
    listed = one_of[1]
    items = listed.get("items") if isinstance(listed, dict) else None
    if one_of[0] != _URI or not isinstance(items, dict) or listed.get("type") != "array":
        return False
    props = items.get("properties", {})
    if not isinstance(props, dict) or len(props) > max_targets:
        return False
    return all(isinstance(t, dict) and (n in VARIANT_SYSTEM_TARGETS or _valid_target(t)) for n, t in props.items())


def is_variants_mode(schema: dict[str, Any] | None) -> bool:
    """Whether the schema maps product models and their variants (no `uuid`, a `variants` target)."""
    targets = schema_targets(schema or {})
    return "variants" in targets and "uuid" not in targets


def variant_targets(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The targets of one variant (`variants.oneOf[1].items.properties`); empty for a bare URI."""
    variants = schema_targets(schema or {}).get("variants", {})
    one_of = variants.get("oneOf") if isinstance(variants, dict) else None
    if not isinstance(one_of, list) or len(one_of) != 2 or not isinstance(one_of[1], dict):
        return {}
    props = one_of[1].get("items", {}).get("properties", {})
    return props if isinstance(props, dict) else {}


def _valid_target(target: Any) -> bool:
    if not isinstance(target, dict) or set(target) - _TARGET_KEYS or target.get("type") not in _TYPES:
        return False
    kind = target["type"]
    if "enum" in target and "enumLink" in target:
        return False
    if "format" in target and (kind != "string" or target["format"] not in ("date-time", "uri")):
        return False
    if kind != "string" and {"minLength", "maxLength", "pattern"} & set(target):
        return False
    if kind != "number" and {"minimum", "maximum"} & set(target):
        return False
    if kind == "array":
        items = target.get("items")
        if not isinstance(items, dict) or set(items) - _ITEM_KEYS or items.get("type") not in ("string", "object"):
            return False
        if items["type"] == "object" and _object_shape(items) is None:
            return False
        return not ("format" in items and (items["type"] != "string" or items["format"] != "uri"))
    if kind == "object":
        return _object_shape(target) is not None
    return "properties" not in target and "items" not in target


def _object_shape(target: dict[str, Any]) -> str | None:
    props = target.get("properties")
    if not isinstance(props, dict):
        return None
    shape = _OBJECT_SHAPES.get(tuple(sorted(props)))
    if shape is None or sorted(target.get("required", [])) != sorted(props):
        return None
    return shape


def schema_targets(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schema's targets (name -> target schema)."""
    targets: dict[str, dict[str, Any]] = schema.get("properties", {})
    return targets


def suggested_source(target: str, known_attributes: frozenset[str]) -> str | None:
    """The source a PIM user would pick for a target: the attribute of the same (or the usual) name.

    Never applied by itself: the PIM maps only `uuid` (docs/akeneo.md, row 13); the admin API's
    `POST /_emulator/catalogs/{id}/product-mapping/by-name` applies it, as a user would.
    """
    if target in _SPECIAL_SOURCES or target in known_attributes:
        return target
    alias = _ALIASES.get(target)
    return alias if alias is not None and (alias in _SPECIAL_SOURCES or alias in known_attributes) else None


def suggested_mapping(schema: dict[str, Any] | None, known_attributes: frozenset[str]) -> dict[str, str | None]:
    """`suggested_source` for every target of the schema but `uuid` (None: nothing fits).

    A variant's targets are keyed `variants.<target>`; the axes (`size`) count as attributes there.
    """
    mapping = {t: suggested_source(t, known_attributes) for t in schema_targets(schema or {}) if t != "uuid"}
    with_axes = known_attributes | VARIANT_AXIS_ATTRIBUTES
    for target in variant_targets(schema):
        if target not in VARIANT_SYSTEM_TARGETS:
            mapping[f"variants.{target}"] = suggested_source(target, with_axes)
    return mapping


# Attributes only variant products carry (their axes), besides the seeded products' ATTRIBUTES.
VARIANT_AXIS_ATTRIBUTES: Final = frozenset({"color", "size"})


def map_product(product: Product, catalog: Catalog, known_attributes: frozenset[str]) -> MappedProduct:
    """The mapped object for one product; targets whose source is empty are left out."""
    return ProductMapper.of(catalog, known_attributes)(product)


# A target's value from a product, then fitted to the target's type (None: leave the target out).
_Getter = Callable[[Product], Any]
_Converter = Callable[[Any], Any]
_SPECIAL_GETTERS: Final[dict[str, _Getter]] = {name: attrgetter(name) for name in _SPECIAL_SOURCES}


class ProductMapper:
    """`map_product` for one catalog state: every per-target decision (source, type, shape) is
    taken once, here, rather than for each product of each page."""

    __slots__ = ("_steps",)

    def __init__(
        self,
        schema: dict[str, Any] | None,
        product_mapping: dict[str, str | None],
        currencies: list[str],
        known_attributes: frozenset[str],
    ) -> None:
        steps: list[tuple[str, _Getter, _Converter]] = []
        if is_variants_mode(schema):
            # No `uuid` target in this mode, yet the app needs the simple product's identity;
            # the docs are silent and the emulator sends it (docs/akeneo.md, mapped-models).
            steps.append(("uuid", _SPECIAL_GETTERS["uuid"], _same))
        for target, spec in schema_targets(schema or {}).items():
            if target in ("variation_axes", "variants") and is_variants_mode(schema):
                continue
            if target == "uuid":
                # Auto-mapped by the PIM, never configurable; a UUID is never empty, so the
                # emptiness check below keeps it as the unconditional assignment it is.
                steps.append((target, _SPECIAL_GETTERS["uuid"], _same))
                continue
            # Unmapped until the PIM user picks a source (only `uuid` is mapped by the PIM).
            source = product_mapping.get(target)
            convert = _converter(spec, tuple(currencies))
            if source is None or convert is None:
                continue
            getter = _SPECIAL_GETTERS.get(source) or _value_getter(source)
            steps.append((target, getter, convert))
        self._steps = tuple(steps)

    @classmethod
    def of(cls, catalog: Catalog, known_attributes: frozenset[str]) -> ProductMapper:
        """The mapper for the catalog's current schema, product mapping and currencies."""
        return cls(catalog.mapping_schema, catalog.product_mapping, catalog.managed_currencies, known_attributes)

    def __call__(self, product: Product) -> MappedProduct:
        mapped: MappedProduct = {}
        for target, get, convert in self._steps:
            data = get(product)
            if data is None:
                continue
            value = convert(data)
            if value is not None and value not in ("", []):
                mapped[target] = value
        return mapped


def _value_getter(source: str) -> _Getter:
    def get(product: Product) -> Any:
        return product.values.get(source)

    return get


def _same(data: Any) -> Any:
    return data


def _converter(spec: dict[str, Any], currencies: tuple[str, ...]) -> _Converter | None:
    """How a (non-None) source value fits the target's type; None when nothing ever fits."""
    kind = spec.get("type")
    if kind == "string":
        return _to_datetime_string if spec.get("format") == "date-time" else _to_string
    if kind == "number":
        return _to_number
    if kind == "boolean":
        return _to_boolean
    if kind == "array":
        return _to_array
    if kind == "object":
        shape = _object_shape(spec)
        return lambda data: _convert_object(data, shape, currencies)
    return None


def _to_string(data: Any) -> Any:
    return data if isinstance(data, str) else (str(data) if isinstance(data, int | float) else None)


def _to_datetime_string(data: Any) -> Any:
    if isinstance(data, int) and not isinstance(data, bool):
        return atom(data)
    return _to_string(data)


def _to_number(data: Any) -> Any:
    return _number(data.get("amount") if isinstance(data, dict) else data)


def _to_boolean(data: Any) -> Any:
    return data if isinstance(data, bool) else None


def _to_array(data: Any) -> Any:
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return list(data)
    if isinstance(data, str):
        return [data]
    return None


def _convert_object(data: Any, shape: str | None, currencies: tuple[str, ...]) -> Any:
    if shape == "price" and isinstance(data, list) and data:
        by_currency = {p.get("currency"): p for p in data if isinstance(p, dict)}
        chosen = next((by_currency[c] for c in currencies if c in by_currency), None)
        picked = chosen or (data[0] if isinstance(data[0], dict) else None)
        amount = _number(picked.get("amount")) if picked else None
        currency = picked.get("currency") if picked else None
        if amount is None or not isinstance(currency, str) or not currency:
            return None
        return {"amount": amount, "currency": currency}
    if shape == "measurement" and isinstance(data, dict):
        value, unit = _number(data.get("amount")), data.get("unit")
        return {"value": value, "unit": unit} if value is not None and isinstance(unit, str) and unit else None
    return None


def _number(raw: Any) -> float | int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return raw
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            return None
    return None
