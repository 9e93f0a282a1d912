"""The SQLite target on a real file: WAL, several connections and threads, a locked database."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from akeneo_sync.errors import ConfigError, TargetError, TargetUnavailableError
from akeneo_sync.targets.base import BatchContext
from akeneo_sync.targets.sqlite import SqliteTarget

pytestmark = pytest.mark.integration

BATCH = BatchContext(tenant="t1", catalog="c1", run_id="run-1", page=1)


def test_a_file_database_runs_in_wal_mode(sqlite_target: SqliteTarget) -> None:
    assert sqlite_target.journal_mode() == "wal"
    with sqlite3.connect(sqlite_target.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",), "WAL is persistent in the file"


def test_each_row_records_the_run_and_page_that_wrote_it(sqlite_target: SqliteTarget) -> None:
    sqlite_target.apply(BatchContext("t1", "c1", "run-7", 12), [{"uuid": "u1"}], [])
    sqlite_target.apply(BatchContext("t1", "c1", "run-8", 2), [{"uuid": "u1"}], [])

    with sqlite3.connect(sqlite_target.path) as conn:
        rows = conn.execute("SELECT uuid, run_id, page, written_at FROM akeneo_sync_products").fetchall()
    assert rows == [("u1", "run-8", 2, 1_700_000_000.0)]


def test_two_targets_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    """Worker processes each open their own connection to the same file."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = SqliteTarget(url), SqliteTarget(url)

    first.apply(BATCH, [{"uuid": "u1"}], [])
    second.apply(BatchContext("t1", "c1", "run-2", 1), [{"uuid": "u2"}], ["u1"])

    assert set(first.products("t1", "c1")) == {"u2"}
    first.close()
    second.close()


def test_threads_sharing_one_target_all_land(sqlite_target: SqliteTarget) -> None:
    def push(worker: int) -> None:
        for page in range(5):
            uuids = [f"w{worker}-p{page}-{i}" for i in range(20)]
            sqlite_target.apply(BatchContext("t1", "c1", f"run-{worker}", page), [{"uuid": u} for u in uuids], [])

    threads = [threading.Thread(target=push, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(sqlite_target.products("t1", "c1")) == 4 * 5 * 20


def test_a_database_locked_by_another_writer_makes_the_target_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    target = SqliteTarget(f"sqlite:///{path}", busy_timeout_s=0.05)
    target.apply(BATCH, [{"uuid": "u1"}], [])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(TargetUnavailableError, match="locked"):
            target.apply(BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u2"}], [])
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    target.apply(BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u2"}], [])
    assert set(target.products("t1", "c1")) == {"u1", "u2"}, "the connection is usable again once the lock is gone"
    target.close()


def test_a_missing_directory_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_TARGET_URL"):
        SqliteTarget(f"sqlite:///{tmp_path / 'nowhere' / 'target.db'}")


def test_a_relative_path_is_relative_to_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    target = SqliteTarget("sqlite:///relative.db")
    target.apply(BATCH, [{"uuid": "u1"}], [])
    target.close()

    assert (tmp_path / "relative.db").is_file()


def test_a_batch_that_fails_half_way_leaves_nothing_applied(sqlite_target: SqliteTarget) -> None:
    sqlite_target.apply(BATCH, [{"uuid": "u1"}, {"uuid": "keep"}], [])
    with sqlite3.connect(sqlite_target.path) as conn:
        conn.execute(
            "CREATE TRIGGER keep_forever BEFORE DELETE ON akeneo_sync_products WHEN old.uuid = 'keep' "
            "BEGIN SELECT RAISE(ABORT, 'keep is protected'); END"
        )

    with pytest.raises(TargetError, match="keep is protected"):
        sqlite_target.apply(BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u2"}], ["u1", "keep"])

    assert set(sqlite_target.products("t1", "c1")) == {"u1", "keep"}, "the upsert of u2 was rolled back"
    sqlite_target.apply(BatchContext("t1", "c1", "run-1", 3), [{"uuid": "u3"}], [])
    assert set(sqlite_target.products("t1", "c1")) == {"u1", "keep", "u3"}


_WRITER = """
import sys
from akeneo_sync.targets.base import BatchContext
from akeneo_sync.targets.sqlite import SqliteTarget

target = SqliteTarget(sys.argv[1])
for page in range(10_000):
    batch = BatchContext("t1", "c1", "run-1", page)
    target.apply(batch, [{"uuid": f"p{page}-{i}", "pad": "x" * 200} for i in range(200)], [])
"""


def test_a_writer_killed_mid_batch_leaves_only_whole_pages(tmp_path: Path) -> None:
    """SIGKILL can land inside a transaction: WAL must keep every page all-or-nothing."""
    path = tmp_path / "killed.db"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, f"sqlite:///{path}"])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _pages(path) < 3:
            time.sleep(0.05)  # bounded poll for the child's progress, not a wait for time to pass
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=10)

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = conn.execute("SELECT page, count(*) FROM akeneo_sync_products GROUP BY page").fetchall()
    assert len(counts) >= 3
    assert {count for _, count in counts} == {200}


def _pages(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=1)) as conn:
            return int(conn.execute("SELECT count(DISTINCT page) FROM akeneo_sync_products").fetchone()[0])
    except sqlite3.OperationalError:  # the child has not created the table yet
        return 0
