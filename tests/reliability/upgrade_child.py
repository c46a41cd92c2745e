"""The process the upgrade kill test kills: it opens a database of the last release, which
upgrades it, and kills itself (SIGKILL) at a chosen step of the upgrade.

A step is STEP instructions of SQLite's virtual machine while the upgrade's transaction is open
(a progress handler counts them), so each kill lands exactly where the test asks, from the first
statement of the migration to its last, instead of wherever a timer falls on a busy machine.

    python -m tests.reliability.upgrade_child DATABASE KILL_AT

prints how many steps the upgrade took if it got to the end (KILL_AT 0: never kill).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.chat import migrations
from engine.chat.migrations import MIGRATIONS, Migration
from engine.chat.store import ChatStore

STEP = 50


class CountingStore(ChatStore):
    """The real store, counting the steps of its upgrade, and dying at step `kill_at`."""

    def __init__(self, path: Path, kill_at: int = 0) -> None:
        self.kill_at = kill_at
        self.steps = 0
        upgrade = migrations.apply_migrations

        def counted(conn: sqlite3.Connection,
                    migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
            # A small page cache makes SQLite write pages of the unfinished upgrade to the WAL,
            # as a large history would; a kill then leaves them there, uncommitted.
            conn.execute("PRAGMA cache_size = 10")
            conn.set_progress_handler(lambda: self._step(conn), STEP)
            try:
                return upgrade(conn, migrations)
            finally:
                conn.set_progress_handler(None, 0)

        migrations.apply_migrations = counted  # the upgrade connect() runs
        try:
            super().__init__(path)
        finally:
            migrations.apply_migrations = upgrade

    def _step(self, conn: sqlite3.Connection) -> int:
        if conn.in_transaction:
            self.steps += 1
            if self.steps == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return 0  # go on


if __name__ == "__main__":
    counting = CountingStore(Path(sys.argv[1]), int(sys.argv[2]))
    print(counting.steps)
    counting.close()
