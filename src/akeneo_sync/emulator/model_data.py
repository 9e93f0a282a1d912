"""Product models: the tree (root model -> optional sub-model -> variant products) and its seeding.

A root model is what `mapped-models` pages; its variant products are products like any other
(they live in the store's columns, with a `parent`), reached either directly (one level: shoes,
size axis) or through one sub-model per first-axis value (two levels: T-shirts, color then size),
as Akeneo's family variants build them. The seed is opt-in (`EmulatorConfig.models`, default 0):
with no models the product dataset is exactly what it was.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass, field
from typing import Any, Final

from akeneo_sync.emulator.catalog_data import FAMILIES, Dataset, Values, category_mask, new_uuid

__all__ = [
    "AXIS_OPTIONS",
    "MODEL_FAMILIES",
    "ModelSeed",
    "ProductModel",
    "VariantRow",
    "axis_label",
    "generate_models",
    "option_label",
    "with_variants",
]

# Family -> its variant axes, level 1 first (Akeneo's family variant).
MODEL_FAMILIES: Final[dict[str, tuple[str, ...]]] = {
    "tshirts": ("color", "size"),
    "shoes": ("size",),
}
# Axis -> option codes, in the order a storefront lists them.
AXIS_OPTIONS: Final[dict[str, tuple[str, ...]]] = {
    "color": ("black", "white", "red", "blue", "green", "grey", "navy", "beige"),
    "size": ("xs", "s", "m", "l", "xl", "xxl"),
}
_SHOE_SIZES: Final = ("39", "40", "41", "42", "43", "44", "45")
_AXIS_LABELS: Final[dict[str, dict[str, str]]] = {
    "color": {"en_US": "Color", "fr_FR": "Couleur"},
    "size": {"en_US": "Size", "fr_FR": "Taille"},
}
_COLOR_LABELS_FR: Final = {
    "black": "Noir",
    "white": "Blanc",
    "red": "Rouge",
    "blue": "Bleu",
    "green": "Vert",
    "grey": "Gris",
    "navy": "Marine",
    "beige": "Beige",
}
_BRANDS: Final = ("acme", "northwind", "contoso", "globex", "initech")
_NOUNS: Final[dict[str, tuple[str, ...]]] = {
    "tshirts": ("Crew Neck Tee", "V-Neck Tee", "Organic Tee", "Graphic Tee"),
    "shoes": ("Runner", "Trail Shoe", "Court Sneaker", "City Boot"),
}
_FAMILY_CATEGORY: Final = {"tshirts": "clothing", "shoes": "footwear"}


@dataclass(slots=True)
class ProductModel:
    """A root model (`parent` None) or a sub-model; `axes` are the axes its children vary on."""

    code: str
    family: str
    parent: str | None
    axes: tuple[str, ...]
    values: Values
    categories: list[str]
    created: int
    updated: int
    # Axis values fixed at this level (a sub-model's first-axis value), as option codes.
    axis_values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VariantRow:
    """A seeded variant product, before it joins the store's columns."""

    uuid: str
    family: str
    parent: str
    categories: int
    created: int
    updated: int
    values: Values


@dataclass(slots=True)
class ModelSeed:
    """What `generate_models` gives: the models by code and their variant products."""

    models: dict[str, ProductModel]
    variants: list[VariantRow]


def axis_label(axis: str) -> list[dict[str, str]]:
    """An axis's labels in Akeneo's `[{"locale", "value"}]` shape."""
    return [{"locale": locale, "value": text} for locale, text in _AXIS_LABELS.get(axis, {"en_US": axis}).items()]


def option_label(axis: str, option: Any) -> list[dict[str, str]]:
    """An option's labels (`blue` -> Blue / Bleu); sizes read the same in every locale."""
    text = str(option)
    english = text.upper() if axis == "size" and not text.isdigit() else text.title()
    french = _COLOR_LABELS_FR.get(text, english) if axis == "color" else english
    return [{"locale": "en_US", "value": english}, {"locale": "fr_FR", "value": french}]


def generate_models(count: int, seed: int, until_s: int, history_s: float) -> ModelSeed:
    """`count` root models, alternating T-shirts (color -> size) and shoes (size), with 2-6 variants each.

    Drawn from their own generator (`models:<seed>`), so the seeded simple products are the
    same whether models are seeded or not.
    """
    rng = random.Random(f"models:{seed}")  # noqa: S311 - reproducible data, not secrets
    span = max(int(history_s), 1)
    models: dict[str, ProductModel] = {}
    variants: list[VariantRow] = []
    for n in range(count):
        family = "tshirts" if n % 2 == 0 else "shoes"
        code = f"{family[:-1]}_{n:06d}"
        created = until_s - rng.randrange(span)
        updated = created + rng.randrange(max(1, until_s - created))
        brand = rng.choice(_BRANDS)
        root = ProductModel(
            code=code,
            family=family,
            parent=None,
            axes=MODEL_FAMILIES[family][:1],
            values={
                "name": f"{brand.title()} {rng.choice(_NOUNS[family])} {n}",
                "brand": brand,
                "description": f"The {brand.title()} {family[:-1]} model {n}.",
            },
            categories=["master", _FAMILY_CATEGORY[family]],
            created=created,
            updated=updated,
        )
        models[code] = root
        if family == "shoes":
            sizes = sorted(rng.sample(_SHOE_SIZES, rng.randint(2, 6)))
            root.values["color"] = rng.choice(AXIS_OPTIONS["color"])
            for size in sizes:
                variants.append(_variant(rng, root, code, {"size": size}, until_s))
            continue
        colors = rng.sample(AXIS_OPTIONS["color"], rng.randint(1, 2))
        per_color = max(1, rng.randint(2, 6) // len(colors))
        for color in colors:
            sub = ProductModel(
                code=f"{code}_{color}",
                family=family,
                parent=code,
                axes=("size",),
                values={"color": color, "image_url": f"https://images.example.com/models/{code}_{color}.jpg"},
                categories=list(root.categories),
                created=created,
                updated=updated,
                axis_values={"color": color},
            )
            models[sub.code] = sub
            start = rng.randrange(len(AXIS_OPTIONS["size"]) - per_color + 1)
            for size in AXIS_OPTIONS["size"][start : start + per_color]:
                variants.append(_variant(rng, sub, code, {"size": size}, until_s))
    return ModelSeed(models, variants)


def _variant(rng: random.Random, parent: ProductModel, root: str, axes: dict[str, str], until_s: int) -> VariantRow:
    uuid = new_uuid(rng)
    suffix = "-".join(axes.values()).upper()
    values: Values = {
        "sku": f"{root.upper()}-{parent.axis_values.get('color', '')[:3].upper()}{suffix}".replace("--", "-"),
        "ean": "".join(str(rng.randrange(10)) for _ in range(13)),
        "price": [{"amount": f"{rng.randrange(900, 9900) / 100:.2f}", "currency": "EUR"}],
        "weight": {"amount": rng.randrange(150, 1500), "unit": "GRAM"},
        **axes,
    }
    updated = max(parent.updated, until_s - rng.randrange(max(1, until_s - parent.created)))
    return VariantRow(
        uuid, parent.family, parent.code, category_mask(parent.categories), parent.created, updated, values
    )


def with_variants(data: Dataset, seed: ModelSeed) -> Dataset:
    """The seeded products plus the seeded variants, in UUID order."""
    rows = sorted(
        [
            (data.uuids[i], data.family[i], data.categories[i], data.enabled[i], data.created[i], data.updated[i])
            for i in range(len(data.uuids))
        ]
        + [(v.uuid, FAMILIES.index(v.family), v.categories, 1, v.created, v.updated) for v in seed.variants]
    )
    return Dataset(
        uuids=[r[0] for r in rows],
        family=array("B", [r[1] for r in rows]),
        categories=array("L", [r[2] for r in rows]),
        enabled=bytearray(r[3] for r in rows),
        created=array("q", [r[4] for r in rows]),
        updated=array("q", [r[5] for r in rows]),
    )
