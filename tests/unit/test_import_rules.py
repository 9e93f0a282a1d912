"""The package table of docs/architecture.md ("who may import whom") holds for every module of src/.

The table is parsed from the document, so the rules and their statement cannot drift apart. Every
import counts, at module level or inside a function or an `if TYPE_CHECKING:` block: a typing-only
import still couples the importer to the imported package.

Redis has one home: only `state/` and the broker's wiring (`REDIS_HOMES`) import redis-py or
fakeredis; everyone else reaches Redis through the state store.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "akeneo_sync"
DOC = ROOT / "docs" / "architecture.md"
HEADER = "| package | owns | may import |"
# The modules that may import redis-py (or fakeredis): the state store, and the Dramatiq broker's
# wiring, which hands dramatiq a client and reads its queues' keys.
REDIS_HOMES = (
    "akeneo_sync.state",
    "akeneo_sync.worker.broker",
    "akeneo_sync.worker.queues",
    "akeneo_sync.worker.fleet",
)
REDIS_PACKAGES = frozenset({"redis", "fakeredis"})


@dataclass(frozen=True)
class Row:
    packages: frozenset[str]
    allowed: frozenset[str]


def parse_table(text: str) -> list[Row]:
    """The rows of the table under HEADER, with "foundations" and "everything (above)" expanded."""
    lines = text[text.index(HEADER) :].splitlines()[2:]
    lines = lines[: next((i for i, line in enumerate(lines) if not line.startswith("|")), len(lines))]
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    names = [frozenset(n.rstrip("/") for n in re.findall(r"`([^`]+)`", row[0])) for row in cells]
    foundations = names[0]
    everything = frozenset().union(*names)
    rows: list[Row] = []
    for i, row in enumerate(cells):
        rule = row[2]
        allowed = set(re.findall(r"`([^`]+)`", rule))
        if rule.startswith("foundations"):
            allowed |= foundations
        if rule.startswith("everything above"):
            allowed |= frozenset().union(*names[:i])
        elif rule.startswith("everything"):
            allowed |= everything
        rows.append(Row(names[i], frozenset(allowed)))
    return rows


def owner(module: str) -> str:
    """`akeneo_sync.sync.engine` → `sync`; `akeneo_sync.errors` → `errors`."""
    return module.split(".")[1]


def imported_modules(path: Path) -> set[str]:
    """Every `akeneo_sync.*` module `path` imports (a `from akeneo_sync import x` names `akeneo_sync.x`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("akeneo_sync."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "akeneo_sync":
                found.update(f"akeneo_sync.{alias.name}" for alias in node.names if alias.name != "__version__")
            elif node.module.startswith("akeneo_sync."):
                found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise AssertionError(f"{path}: relative import (the rules read absolute ones)")
    return found


def module_name(path: Path, source: Path) -> str:
    parts = path.relative_to(source.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def allows(allowed: frozenset[str], target: str) -> bool:
    dotted = target.removeprefix("akeneo_sync.")
    return any(dotted == rule or dotted.startswith(f"{rule}.") for rule in allowed)


def violations(rows: list[Row], source: Path = SOURCE) -> list[str]:
    by_package = {package: row for row in rows for package in row.packages}
    found: list[str] = []
    for path in sorted(source.rglob("*.py")):
        module = module_name(path, source)
        if module == "akeneo_sync":
            continue
        row = by_package.get(owner(module))
        if row is None:
            found.append(f"{module}: no row of the table names its package")
            continue
        for target in sorted(imported_modules(path)):
            if owner(target) != owner(module) and not allows(row.allowed, target):
                found.append(f"{module} imports {target}")
    return found


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every absolute import in `path` (`import redis.asyncio` -> `redis`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def redis_outside_its_home(source: Path = SOURCE) -> list[str]:
    """Every module outside `REDIS_HOMES` that imports redis-py or fakeredis."""
    found: list[str] = []
    for path in sorted(source.rglob("*.py")):
        module = module_name(path, source)
        if any(module == home or module.startswith(f"{home}.") for home in REDIS_HOMES):
            continue
        found.extend(f"{module} imports {name}" for name in sorted(imported_roots(path) & REDIS_PACKAGES))
    return found


def test_only_the_state_store_and_the_broker_wiring_import_redis() -> None:
    assert redis_outside_its_home() == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("web/app.py", "import redis.asyncio\n", ["akeneo_sync.web.app imports redis"]),
        ("demo.py", "def f():\n    import fakeredis\n", ["akeneo_sync.demo imports fakeredis"]),
        (
            "akeneo/ratelimit.py",
            "from redis.exceptions import RedisError\n",
            ["akeneo_sync.akeneo.ratelimit imports redis"],
        ),
        ("state/lease.py", "import redis\n", []),
        ("worker/queues.py", "import redis\n", []),
        ("worker/runtime.py", "from akeneo_sync.state.connect import RedisClient\n", []),
    ],
)
def test_a_redis_import_outside_its_home_is_reported(
    module: str, source: str, expected: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "akeneo_sync" / module
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    assert redis_outside_its_home(tmp_path / "akeneo_sync") == expected


def test_every_import_in_src_is_allowed_by_the_architecture_table() -> None:
    assert violations(parse_table(DOC.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from akeneo_sync.sync.ports import CatalogSource\n",
            ["akeneo_sync.akeneo.client imports akeneo_sync.sync.ports"],
        ),
        ("if True:\n    from akeneo_sync.web import ports\n", ["akeneo_sync.akeneo.client imports akeneo_sync.web"]),
        ("from akeneo_sync import settings, __version__\nimport akeneo_sync.akeneo.types\n", []),
    ],
)
def test_a_forbidden_import_is_reported_and_an_allowed_one_is_not(
    source: str, expected: list[str], tmp_path: Path
) -> None:
    # A copy of the rules' inputs: one module of `akeneo/` holding `source`.
    package = tmp_path / "akeneo_sync" / "akeneo"
    package.mkdir(parents=True)
    (tmp_path / "akeneo_sync" / "__init__.py").write_text("")
    (package / "client.py").write_text(source)
    assert violations(parse_table(DOC.read_text(encoding="utf-8")), tmp_path / "akeneo_sync") == expected


def test_the_table_expands_foundations_and_everything_above() -> None:
    rows = {min(row.packages): row for row in parse_table(DOC.read_text(encoding="utf-8"))}
    assert {"errors", "settings", "clock"} <= rows["state"].allowed
    assert "state" not in rows["akeneo"].allowed
    assert "sync" not in rows["akeneo"].allowed
    assert {"state", "sync", "eventplatform"} <= rows["worker"].allowed
    assert "web" not in rows["worker"].allowed
    assert "worker" not in rows["web"].allowed
    assert rows["emulator"].allowed == {"clock"}
