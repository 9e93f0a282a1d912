"""Render a kustomization without kubectl: its resources, recursively, with the simple transforms.

Only the fallback for a machine without kubectl (the validator says so when it is used). Applied:
`namespace`, `replicas`, `images` (newTag/digest), `configMapGenerator`/`secretGenerator`
(`envs`, `literals`, `behavior: merge`, the name hash suffix computed like kustomize and the
Deployments' envFrom references rewritten to it) and inline JSON 6902 `patches` (`add`,
`replace`, `remove` on a `target` kind/name). Anything else is NOT applied.
The resources are still schema-checked, which is most of the value.

    python render_fallback.py deploy/overlays/prod > rendered.yaml
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
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


def _generator_data(kdir: Path, gen: Doc) -> dict[str, str]:
    data: dict[str, str] = {}
    for env in gen.get("envs", []):
        data |= _env_file(kdir / env)
    for literal in gen.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    return data


def _hash_suffix(doc: Doc) -> str:
    """kustomize's name suffix (api/hasher): sha256 of the JSON of kind, name, data (and a Secret's
    type), its first 10 hex digits with 0, 1, 3, a and e swapped for letters. The name hashed is
    "": kustomize looks it up with the path "metadata/name", which its lookup does not split."""
    encoded = {"kind": doc["kind"], "name": "", "data": doc["data"]}
    if doc["kind"] == "Secret":
        encoded["type"] = doc["type"]
    # Go's json.Marshal: keys sorted, no spaces, <>& escaped.
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    swap: dict[str, str | int | None] = {"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"}
    return digest.translate(str.maketrans(swap))


def _generated(kdir: Path, k: Doc, inherited: list[Doc]) -> list[Doc]:
    """The generators' ConfigMaps/Secrets, unhashed; `behavior: merge` updates an inherited one."""
    out: list[Doc] = []
    for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for gen in k.get(field, []):
            data = _generator_data(kdir, gen)
            if kind == "Secret":
                data = {key: base64.b64encode(v.encode()).decode() for key, v in data.items()}
            if gen.get("behavior") == "merge":
                (base,) = [d for d in inherited if d["kind"] == kind and d["metadata"]["name"] == gen["name"]]
                base["data"] |= data
                continue
            doc: Doc = {"apiVersion": "v1", "kind": kind, "metadata": {"name": gen["name"]}}
            if gen.get("options", {}).get("labels"):
                doc["metadata"]["labels"] = dict(gen["options"]["labels"])
            if kind == "Secret":
                doc["type"] = gen.get("type", "Opaque")
            doc["data"] = data
            out.append(doc)
    return out


def _finish_generated(docs: list[Doc], generated: set[tuple[str, str]]) -> None:
    """Suffix the generated objects' names with their hash and point the Deployments at them."""
    renamed: dict[tuple[str, str], str] = {}
    for doc in docs:
        key = (doc["kind"], doc["metadata"]["name"])
        if key in generated:
            renamed[key] = f"{key[1]}-{_hash_suffix(doc)}"
            doc["metadata"]["name"] = renamed[key]
    for doc in docs:
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for source in container.get("envFrom", []):
                for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if field in source and (kind, source[field]["name"]) in renamed:
                        source[field]["name"] = renamed[kind, source[field]["name"]]


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


def resources(kdir: Path) -> list[Doc]:
    """Every resource document a kustomization directory lists, transformed like kustomize does."""
    docs, generated = _unhashed(kdir)
    _finish_generated(docs, generated)
    return docs


def _unhashed(kdir: Path) -> tuple[list[Doc], set[tuple[str, str]]]:
    """The documents with generated names still bare (a parent may merge into them), and those names."""
    k = yaml.safe_load((kdir / "kustomization.yaml").read_text(encoding="utf-8")) or {}
    docs: list[Doc] = []
    generated: set[tuple[str, str]] = set()
    for entry in k.get("resources", []):
        path = kdir / entry
        if path.is_dir():
            found, names = _unhashed(path)
            docs += found
            generated |= names
        else:
            docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    new = _generated(kdir, k, docs)
    docs += new
    generated |= {(d["kind"], d["metadata"]["name"]) for d in new}
    _transform(k, docs)
    return docs, generated


def _transform(k: Doc, docs: list[Doc]) -> None:
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


def main(argv: list[str]) -> int:
    """Print the rendered resources of the kustomization directory in argv[0]."""
    yaml.safe_dump_all(resources(Path(argv[0])), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
