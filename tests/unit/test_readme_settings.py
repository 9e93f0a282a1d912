"""The README's configuration table lists exactly the settings `Settings` reads."""

from __future__ import annotations

import re
from pathlib import Path

from akeneo_sync.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_settings_table_matches_the_settings_class() -> None:
    documented = set(re.findall(r"^\| `AKENEO_SYNC_([A-Z0-9_]+)` \|", README.read_text(), flags=re.MULTILINE))
    defined = {name.upper() for name in Settings.model_fields}
    assert documented == defined, f"undocumented: {defined - documented}, stale: {documented - defined}"
