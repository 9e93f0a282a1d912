"""The worker side of `memory.py`: a full sync then a reconcile through the engine, in its own process.

    python bench/_memory_worker.py BASE_URL TOKEN CATALOG REDIS_DB

Prints one JSON line: peak RSS (`ru_maxrss`), RSS once everything is imported and wired (before
the first page), products and seconds. The Redis DB is the caller's (it flushes it).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import redis
from _common import Catalog, engine, pim_client, redis_url, rss_of, shipped_options, state_store

from akeneo_sync.logging import configure_logging
from akeneo_sync.targets.null import NullTarget


def main() -> int:
    base_url, token, catalog_id, db = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    configure_logging("console", "WARNING")
    client = redis.Redis.from_url(redis_url(db))
    catalog = Catalog(base_url, token, catalog_id)
    sync = engine(pim_client(catalog), NullTarget(), state_store(client), catalog_id, shipped_options())
    ready_rss = rss_of(os.getpid())
    started = time.monotonic()
    full = sync.full_sync(catalog_id)
    reconcile = sync.reconcile(catalog_id)
    seconds = time.monotonic() - started
    print(
        json.dumps(
            {
                "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "ready_rss": ready_rss,
                "products": full.counters.upserted,
                "deleted": full.counters.deleted + reconcile.counters.deleted,
                "full_s": full.duration_s,
                "reconcile_s": reconcile.duration_s,
                "seconds": seconds,
            }
        )
    )
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
