#!/usr/bin/env bash
# `make observe`: a real Prometheus scrapes web + worker + scheduler during a 20,000-product sync
# and then 12 small catalogs synced at once;
# every dashboard query and alert expression is evaluated against it; the main graphs are saved as
# PNGs under docs/observability/. Installs Debian's prometheus and chromium when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

install_missing() {  # install_missing COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "observe: installing $2 (for $1)"
        if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null)" ]; then
            apt-get update -qq
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
    fi
}

install_missing promtool prometheus
install_missing chromium chromium
bash scripts/ensure-services.sh
# Bounded: the run itself stops everything it started by PID and takes 40-60 s here.
exec timeout --signal=TERM --kill-after=20 180 .venv/bin/python scripts/observe/run.py "$@"
