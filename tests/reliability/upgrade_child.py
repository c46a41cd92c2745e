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
import sys
from pathlib import Path

from engine.chat.store import ChatStore

STEP = 50


class CountingStore(ChatStore):
    """The real store, counting the steps of its upgrade, and dying at step `kill_at`."""

    def __init__(self, path: Path, kill_at: int = 0) -> None:
        self.kill_at = kill_at
        self.steps = 0
        super().__init__(path)

    def _open(self) -> None:
        # A small page cache makes SQLite write pages of the unfinished upgrade to the WAL, as a
        # large history would; a kill then leaves them there, uncommitted.
        self._conn.execute("PRAGMA cache_size = 10")
        self._conn.set_progress_handler(self._step, STEP)
        try:
            super()._open()
        finally:
            self._conn.set_progress_handler(None, 0)

    def _step(self) -> int:
        if self._conn.in_transaction:
            self.steps += 1
            if self.steps == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return 0  # go on


if __name__ == "__main__":
    store = CountingStore(Path(sys.argv[1]), int(sys.argv[2]))
    print(store.steps)
    store.close()
