"""Checking mapped products against the app's own product mapping schema.

The PIM omits a target whose source is empty, and a user can map a source of the wrong shape, so
a product can reach us without a `required` target or with a wrong type. Such a product would
break the storefront; it becomes a dead letter with the first problem found, and the rest of the
page goes on. Only the keywords Akeneo's mapping meta-schema allows are checked (1.0.x: type,
required, properties, items, enum, minLength, maxLength, pattern, minimum, maximum, format).

Why not the `jsonschema` library: measured on the same mapped products (bench/mapping_validation.py,
bench/README.md row 9) it costs 5.9x the CPU of this checker (72 against 12 us per product, nearly
twice a product's whole budget), checks `format: uri` only with a further package, and needs
Akeneo's `{code, value}` enum items rewritten; the benchmark also holds both to the same verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = ["schema_validator"]

_TYPES: Final[dict[str, Callable[[Any], bool]]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _problem(value: Any, schema: Mapping[str, Any], path: str) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _TYPES and not _TYPES[kind](value):
        return f"{path}: expected {kind}, got {type(value).__name__}"
    if "enum" in schema:
        allowed = [item.get("code") if isinstance(item, dict) else item for item in schema["enum"]]
        if value not in allowed:
            return f"{path}: {value!r} is not one of the schema's enum values"
    if isinstance(value, str):
        return _string_problem(value, schema, path)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{path}: {value} is below the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{path}: {value} is above the maximum {schema['maximum']}"
    if isinstance(value, dict):
        return _object_problem(value, schema, path)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            found = _problem(item, schema["items"], f"{path}[{index}]")
            if found:
                return found
    return None


def _string_problem(value: str, schema: Mapping[str, Any], path: str) -> str | None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        return f"{path}: shorter than {schema['minLength']} characters"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"{path}: longer than {schema['maxLength']} characters"
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return f"{path}: does not match the pattern {schema['pattern']!r}"
    if schema.get("format") == "uri" and not (urlsplit(value).scheme and urlsplit(value).netloc):
        return f"{path}: not an absolute URI"
    return None


def _object_problem(value: Mapping[str, Any], schema: Mapping[str, Any], path: str) -> str | None:
    for name in schema.get("required", ()):
        if name not in value:
            where = f"{path}.{name}" if path else name
            return f"{where}: required by the mapping schema but missing (empty in the PIM?)"
    for name, sub in (schema.get("properties") or {}).items():
        if name in value and isinstance(sub, Mapping):
            found = _problem(value[name], sub, f"{path}.{name}" if path else name)
            if found:
                return found
    return None


def schema_validator(schema: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], str | None]:
    """A product validator for the engine: the first problem of a product, or None."""

    def validate(product: Mapping[str, Any]) -> str | None:
        return _object_problem(product, schema, "")

    return validate


def is_variants_mode(schema: Mapping[str, Any]) -> bool:
    """Whether a product mapping schema is in "products with variants" mode (`variants` and no `uuid`)."""
    properties = schema.get("properties")
    return isinstance(properties, Mapping) and "variants" in properties and "uuid" not in properties
