"""Named moments where a test can make Hearth die: `HEARTH_KILL_AT=<point>:<n>`, for tests only.

The kill tests (tests/reliability/test_kills.py) must hit each moment they plan for, not wherever
a timer falls on a busy machine. Code at such a moment calls `reached("<point>")`; when the
variable names that point, the n-th time this process gets there it sends itself SIGKILL, which
no handler or clean-up can delay, like the OOM killer or a power cut. Unset, as it is outside the
tests, `reached` reads one environment variable and returns.

Points in the engine:
- "migration": inside a schema migration's transaction, its changes made, not yet committed
  (`migration:2` dies in the second migration this process applies).
- "settings-written": a settings file's new text is on disk in its temporary file, not yet
  renamed over the old one.
The kill tests' own child processes add points of their own through the same switch.
"""

from __future__ import annotations

import os
import signal
import threading

VARIABLE = "HEARTH_KILL_AT"

_counts: dict[str, int] = {}
_lock = threading.Lock()


def reached(point: str) -> None:
    """Dies here if HEARTH_KILL_AT names `point` and this is its n-th time here."""
    plan = os.environ.get(VARIABLE)
    if not plan:
        return
    name, _, nth = plan.rpartition(":")
    if name != point:
        return
    with _lock:
        _counts[point] = count = _counts.get(point, 0) + 1
    if count == int(nth):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))  # Windows: no SIGKILL
