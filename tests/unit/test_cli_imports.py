"""The CLI must not load prometheus_client before `worker` sets PROMETHEUS_MULTIPROC_DIR up."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cli_loads_no_metrics_module() -> None:
    code = (
        "import sys, akeneo_sync.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('prometheus_client') or m == 'akeneo_sync.metrics'))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
