"""Render a kustomization without kubectl: its resources, recursively, with the simple transforms.

Only the fallback for a machine without kubectl (the validator says so when it is used). Applied:
`namespace`, `replicas`, `images` (newTag/digest), `configMapGenerator`/`secretGenerator`
(`envs` and `literals`; NOT the name hash, so references need no rewriting) and inline JSON 6902
`patches` (`add`, `replace`, `remove` on a `target` kind/name). Anything else is NOT applied.
The resources are still schema-checked, which is most of the value.

    python render_fallback.py deploy/overlays/prod > rendered.yaml
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]


def _env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def _generated(kdir: Path, k: Doc) -> Iterator[Doc]:
    for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for gen in k.get(field, []):
            data: dict[str, str] = {}
            for env in gen.get("envs", []):
                data |= _env_file(kdir / env)
            for literal in gen.get("literals", []):
                key, _, value = literal.partition("=")
                data[key] = value
            doc: Doc = {"apiVersion": "v1", "kind": kind, "metadata": {"name": gen["name"]}}
            if kind == "Secret":
                doc["type"] = gen.get("type", "Opaque")
                doc["data"] = {key: base64.b64encode(v.encode()).decode() for key, v in data.items()}
            else:
                doc["data"] = data
            yield doc


def _pointer(doc: Any, path: str) -> tuple[Any, str]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    for part in parts[:-1]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc, parts[-1]


def _patch(doc: Doc, ops: list[Doc]) -> None:
    for op in ops:
        parent, key = _pointer(doc, op["path"])
        if isinstance(parent, list):
            index = len(parent) if key == "-" else int(key)
            if op["op"] == "remove":
                del parent[index]
            elif op["op"] == "add":
                parent.insert(index, op["value"])
            else:
                parent[index] = op["value"]
        elif op["op"] == "remove":
            del parent[key]
        else:
            parent[key] = op["value"]


def _matches(doc: Doc, target: Doc) -> bool:
    return all(
        (doc["kind"] if key == "kind" else doc["metadata"].get(key)) == value
        for key, value in target.items()
        if key in {"kind", "name"}
    )


def resources(kdir: Path) -> Iterator[Doc]:
    """Every resource document a kustomization directory lists, transformed like kustomize does."""
    k = yaml.safe_load((kdir / "kustomization.yaml").read_text(encoding="utf-8")) or {}
    docs: list[Doc] = []
    for entry in k.get("resources", []):
        path = kdir / entry
        found = resources(path) if path.is_dir() else yaml.safe_load_all(path.read_text(encoding="utf-8"))
        docs += [d for d in found if d]
    docs += _generated(kdir, k)
    replicas = {r["name"]: r["count"] for r in k.get("replicas", [])}
    images = {i["name"]: i for i in k.get("images", [])}
    for doc in docs:
        if k.get("namespace"):
            doc.setdefault("metadata", {})["namespace"] = k["namespace"]
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] in replicas:
            doc["spec"]["replicas"] = replicas[doc["metadata"]["name"]]
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            name = container["image"].split("@")[0].split(":")[0]
            if name in images:
                image = images[name]
                tag = f":{image['newTag']}" if "newTag" in image else ""
                suffix = f"@{image['digest']}" if "digest" in image else tag
                container["image"] = image.get("newName", name) + suffix
        for patch in k.get("patches", []):
            if "patch" in patch and _matches(doc, patch.get("target", {})):
                ops = yaml.safe_load(patch["patch"])
                if isinstance(ops, list):
                    _patch(doc, ops)
        yield doc


def main(argv: list[str]) -> int:
    """Print the rendered resources of the kustomization directory in argv[0]."""
    yaml.safe_dump_all(resources(Path(argv[0])), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
