"""The fleet phase of `make observe`: many small catalogs enabled at once on their own PIM.

Each tenant is registered as `akeneo-sync tenants add` does it (`ControlPlane.add_tenant`, in one
process here: a process per tenant would cost a second of CPU each), its catalog created at
activation, mapped and enabled in the same instant; the scheduler's polls then start their full
syncs. More catalogs than the worker has threads, fewer than the messages its processes prefetch
(`threads x 2` each): every sync message is taken at once and held, running or waiting for a
thread, so the ready list `dramatiq:default` stays near 0 while the backlog counts all of them.

    python scripts/observe/fleet.py PIM_URL TENANT_PREFIX TOKEN...   (with the stack's environment)
"""

from __future__ import annotations

import sys

from akeneo_sync.operator import ControlPlane
from akeneo_sync.settings import load_settings


def main(argv: list[str]) -> int:
    pim_url, prefix, tokens = argv[0], argv[1], argv[2:]
    plane = ControlPlane.open(load_settings())
    for n, token in enumerate(tokens):
        plane.add_tenant(pim_url, token, subscription_id=None, tenant_id=f"{prefix}{n:02d}")
    print(f"{len(tokens)} tenants stored; app_activated enqueued for each")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
