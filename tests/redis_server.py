"""Which Redis the tests use: 127.0.0.1:6379 unless AKENEO_SYNC_TEST_REDIS_PORT names another.

Each test area owns a DB number on that server; two suites run at once (two checkouts) must point
one of them at a private `redis-server --port N` or their flushes collide.
"""

from __future__ import annotations

import os

TEST_REDIS_PORT = int(os.environ.get("AKENEO_SYNC_TEST_REDIS_PORT", "6379"))
