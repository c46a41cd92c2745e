"""Prints the native stacks of a pytest process whose test hangs, before it is ended.

faulthandler's backstop (tests/suite_rules.py) shows only the Python frames, and a hang with the
GIL held (a thread inside a Qt or llama.cpp call that never returns) shows each thread at a
Python line, not the C++ lock it waits on. Run as `python tests/native_stacks.py PID`, beside the
test process: each line it reads on stdin arms it for that many seconds (0 disarms); when an
armed time passes it attaches gdb to PID and prints every thread's backtrace to its stdout.
It ends when stdin closes. Without gdb on the PATH it is not started (suite_rules.py).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from contextlib import suppress

GDB_S = 60  # for gdb to attach, read the symbols of Qt and llama.cpp and print


def main(pid: int) -> None:
    deadline: float | None = None
    while True:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([sys.stdin], [], [], wait)
        if ready:
            line = sys.stdin.readline()
            if not line:  # the test process has ended
                return
            seconds = float(line)
            deadline = time.monotonic() + seconds if seconds > 0 else None
        elif deadline is not None:
            deadline = None
            print(f"\nNative stacks of process {pid}, its test past its time:", flush=True)
            # No debuginfod: the suite reaches no network beyond loopback.
            with suppress(subprocess.TimeoutExpired):
                subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                                "-iex", "set debuginfod enabled off",
                                "-iex", "set auto-load python-scripts off",
                                "-ex", "thread apply all bt"],
                               stdin=subprocess.DEVNULL, timeout=GDB_S, check=False)
            # gdb killed mid-way could leave the process stopped: let it run to its backstop.
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


if __name__ == "__main__":
    main(int(sys.argv[1]))
