"""One writer per data folder: a lock that a second Hearth on the same data cannot take.

The lock is an OS file lock, not a pid file, so a killed process never leaves a stale lock:
the kernel releases it with the process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

LOCK_NAME = "hearth.lock"


class InstanceLock:
    def __init__(self, handle: IO[str], path: Path) -> None:
        self._handle = handle
        self.path = path

    @classmethod
    def acquire(cls, data_dir: Path) -> InstanceLock | None:
        """The lock, or None when another live process holds it."""
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / LOCK_NAME
        handle = path.open("a+", encoding="utf-8")
        if not _try_lock(handle):
            handle.close()
            return None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return cls(handle, path)

    def release(self) -> None:
        self._handle.close()


def holder_pid(data_dir: Path) -> int | None:
    """The process id the lock holder wrote, if it can be read."""
    try:
        return int((data_dir / LOCK_NAME).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
