"""The CLI must not load prometheus_client before `worker` sets PROMETHEUS_MULTIPROC_DIR up."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_importing_the_cli_loads_no_metrics_module() -> None:
    code = (
        "import sys, akeneo_sync.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('prometheus_client') or m == 'akeneo_sync.metrics'))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_demo_names_its_extra_when_fakeredis_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # The production image installs the runtime lock only (no extras): no fakeredis there.
    from akeneo_sync.errors import ConfigError
    from akeneo_sync.state.connect import in_process_redis

    monkeypatch.setitem(sys.modules, "fakeredis", None)  # what `import fakeredis` meets when absent
    with pytest.raises(ConfigError, match=r"akeneo-sync\[demo\]"):
        in_process_redis()
