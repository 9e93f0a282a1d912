"""The state and sync packages export what their modules define, and sync never imports dramatiq."""

from __future__ import annotations

import ast
from pathlib import Path

import akeneo_sync.state
import akeneo_sync.sync

SYNC_DIR = Path(akeneo_sync.sync.__file__).parent


def test_every_exported_name_exists() -> None:
    for package in (akeneo_sync.state, akeneo_sync.sync):
        assert sorted(package.__all__) == sorted(set(package.__all__))
        assert all(hasattr(package, name) for name in package.__all__)


def test_no_sync_module_imports_dramatiq() -> None:
    for path in SYNC_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not [name for name in imported if name.split(".")[0] == "dramatiq"], path.name
