"""Render a kustomization without kubectl: concatenate its resources, recursively.

Only the fallback for a machine without kubectl (the validator says so when it is used):
`namespace` is applied, but patches, `replicas` and `images` are NOT. The resources are still
schema-checked, which is most of the value.

    python render_fallback.py deploy/overlays/prod > rendered.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


def resources(kdir: Path) -> Iterator[dict[str, Any]]:
    """Every resource document a kustomization directory lists, namespaced like kustomize does."""
    k = yaml.safe_load((kdir / "kustomization.yaml").read_text(encoding="utf-8")) or {}
    namespace = k.get("namespace")
    for entry in k.get("resources", []):
        path = kdir / entry
        docs = resources(path) if path.is_dir() else yaml.safe_load_all(path.read_text(encoding="utf-8"))
        for doc in docs:
            if not doc:
                continue
            if namespace:
                doc.setdefault("metadata", {})["namespace"] = namespace
            yield doc


def main(argv: list[str]) -> int:
    """Print the concatenated resources of the kustomization directory in argv[0]."""
    yaml.safe_dump_all(resources(Path(argv[0])), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
