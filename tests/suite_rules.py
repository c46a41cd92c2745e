"""The suite's own rules, enforced on every test (loaded by tests/conftest.py).

- A time limit per test. pytest-timeout (`timeout` in pyproject.toml, or a test's
  `@pytest.mark.timeout(s)`) fails a test that runs past it, with the stacks of all its threads;
  it works by SIGALRM, so it only fires when Python gets control back. A hang inside native code
  (llama.cpp, Qt) or with the GIL held never gives it back: `BACKSTOP_S` later, faulthandler's
  watchdog thread, which needs no GIL, prints every thread's stack and ends the process. Under
  pytest-xdist that fails the one test and a new worker carries on with the rest. Halfway
  there, where gdb is installed, tests/native_stacks.py prints the native stacks too: the Qt or
  llama.cpp call each thread is stuck in, which the Python stacks cannot show.
- Skips only by leave: a skip not in `ALLOWED_SKIPS` fails its test, so a green run cannot hide
  a test that did not run.
- No leaked threads: a thread (Python's or a QThread) that a test started and that still runs
  after its teardown fails the test, saying where it was started.
- No network beyond loopback: engine/network_guard.py refuses it in this process and, through
  its switch, in every process a test starts (engine hosts, `hearth-cli`, the app); an attempt
  recorded while a test ran fails that test.
- Notes: what a passing test records with `record_property("note", ...)` is shown at the end.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import weakref
from collections.abc import Generator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine import network_guard

PR_SET_PTRACER = 0x59616D61  # prctl's option: who may trace this process (Yama)
BACKSTOP_S = "60"  # past the test's own limit: for SIGALRM to have been handled (ini: backstop)

# The skips a run may hold, by test (parameters aside), and why each is acceptable there.
# Every other skip fails: a new one needs its line here, with a reason a reviewer accepts.
ALLOWED_SKIPS = {
    # Needs a tool from outside Python: `make install` cannot apt-get it. The install test
    # still compares the installed entry with this one line by line.
    "tests/packaging/test_desktop_entry.py::test_desktop_entry_validates":
        "desktop-file-validate is not installed (apt package desktop-file-utils)",
    # Mounting a 2 MB tmpfs takes a user namespace, off in default containers. Both claims are
    # also tested without privileges (test_files_that_may_not_grow_..., test_a_locked_folder_...).
    "tests/reliability/test_machine.py::test_a_full_disk_gives_plain_errors_and_loses_nothing":
        "needs Linux user namespaces (unshare) to mount a small disk",
    "tests/reliability/test_machine.py::test_a_read_only_disk_gives_plain_errors_and_loses_nothing":
        "needs Linux user namespaces (unshare) to mount a small disk",
    # Hearth's tests run on Linux (README); these skip only on other systems.
    "tests/engine/test_store.py::test_a_read_only_folder_is_reported": "folder modes are POSIX",
    "tests/engine/test_export.py::test_read_only_folder_keeps_the_old_file":
        "folder modes are POSIX",
    "tests/reliability/test_hostile_templates.py::"
    "test_a_template_constant_cannot_exhaust_memory_while_the_model_loads": "reads Linux's /proc",
    "tests/reliability/test_offline.py::test_llama_cpp_native_libraries_import_no_socket_functions":
        "reads ELF symbol names",
}


def time_limit(item: pytest.Item) -> float:
    """The test's pytest-timeout limit in seconds (0: none), read as pytest-timeout reads it."""
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("timeout")
    else:
        value = (item.config.getoption("timeout", None) or os.environ.get("PYTEST_TIMEOUT")
                 or item.config.getini("timeout"))
    return float(value or 0)


_stderr_copy = pytest.StashKey[int]()
_native_stacks = pytest.StashKey["subprocess.Popen[str] | None"]()
_network_record = pytest.StashKey[Path]()
_network_seen = 0  # bytes of the record read so far


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("thread_grace", "seconds a test's threads get to end after its teardown",
                  default=THREAD_GRACE_S)
    parser.addini("backstop", "seconds past a test's limit before its process is ended",
                  default=BACKSTOP_S)


def pytest_configure(config: pytest.Config) -> None:
    # Output capture replaces file descriptor 2 during each test; this copy is the real one.
    config.stash[_stderr_copy] = os.dup(2)
    watchdog = None
    if shutil.which("gdb"):
        # Its own session: Ctrl+C on the run does not end it before pytest has its say.
        watchdog = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("native_stacks.py")), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=config.stash[_stderr_copy], text=True,
            start_new_session=True,
        )
        _allow_tracing_by(watchdog.pid)
    config.stash[_native_stacks] = watchdog
    threading.Thread.start = _recording_thread_start  # type: ignore[method-assign]
    # The controller names the record; each pytest-xdist worker keeps its own beside it (and
    # its children inherit that), read from where it stood when the worker started, so neither
    # another worker's attempts nor a crashed worker's earlier ones are blamed on its tests.
    global _network_seen
    if not os.environ.get(network_guard.SWITCH):
        folder = tempfile.mkdtemp(prefix="hearth-network-guard-")
        os.environ[network_guard.SWITCH] = str(Path(folder) / "attempts")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ[network_guard.SWITCH] = f"{os.environ[network_guard.SWITCH]}.{worker}"
    record = Path(os.environ[network_guard.SWITCH])
    config.stash[_network_record] = record
    _network_seen = record.stat().st_size if record.exists() else 0
    network_guard.install_from_environment()


def pytest_sessionstart(session: pytest.Session) -> None:
    # An xdist worker of pytest-rerunfailures tells its controller each test's status over TCP:
    # a write, then a write and a read. With Nagle's algorithm the second write waits for the
    # controller's delayed ACK of the first, 40 ms a test (45 s of a 12-minute run). Its
    # messages are whole when written: send them at once.
    sock = getattr(getattr(session.config, "failures_db", None), "sock", None)
    if isinstance(sock, socket.socket) and sock.family == socket.AF_INET:
        with suppress(OSError):  # the controller's listening socket takes no such option
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def pytest_unconfigure(config: pytest.Config) -> None:
    threading.Thread.start = _thread_start  # type: ignore[method-assign]
    watchdog = config.stash[_native_stacks]
    if watchdog is not None:
        assert watchdog.stdin is not None
        with suppress(OSError):
            watchdog.stdin.close()  # it ends
        watchdog.wait()
    os.close(config.stash[_stderr_copy])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        test = item.nodeid.split("[")[0]
        said = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = said.removeprefix("Skipped: ")
        if ALLOWED_SKIPS.get(test) != reason:
            report.outcome = "failed"
            report.longrepr = (
                f"{test} skipped ({reason}), and that skip is not allowed: make the test run "
                "here, or add it with its reason to ALLOWED_SKIPS in tests/suite_rules.py"
            )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    global _current_test
    _watch_qthreads()
    _current_test = item.nodeid
    limit = time_limit(item)
    if limit > 0:
        backstop = float(item.config.getini("backstop"))
        faulthandler.dump_traceback_later(
            limit + backstop, exit=True, file=item.config.stash[_stderr_copy]
        )
        _arm_native_stacks(item.config, limit + backstop / 2)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()
        _arm_native_stacks(item.config, 0)
        _current_test = None


def _arm_native_stacks(config: pytest.Config, seconds: float) -> None:
    """Asks tests/native_stacks.py for this process's native stacks in `seconds` (0: never)."""
    watchdog = config.stash[_native_stacks]
    if watchdog is not None and watchdog.stdin is not None:
        with suppress(OSError):  # it has ended: the stacks are a help, not a rule
            watchdog.stdin.write(f"{seconds}\n")
            watchdog.stdin.flush()


def _allow_tracing_by(pid: int) -> None:
    """Where Yama allows tracing by ancestors only (Ubuntu's default), lets `pid` and what it
    starts (gdb) attach to this process: prctl(PR_SET_PTRACER)."""
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PTRACER, ctypes.c_ulong(pid), 0, 0, 0)


# Leaked threads. Every thread a test starts, Python's or a QThread, must have ended once the
# test's teardown is done (napari's `_dangling_qthreads` does this for QThreads). A thread started
# while a fixture of a wider scope sets up belongs to that fixture and may outlive the test; so do
# the threads such a thread starts (a module's server, a thread per connection).
THREAD_GRACE_S = "5"  # for a thread that was told to stop and is on its way out (ini: thread_grace)


@dataclass
class _Origin:
    test: str | None  # the test that started it; None: a wider fixture or outside any test
    stack: str


_origins: weakref.WeakKeyDictionary[object, _Origin] = weakref.WeakKeyDictionary()
_current_test: str | None = None
_wider_fixtures = 0  # how many fixtures wider than a function are setting up right now


def _record(thread: object) -> None:
    starter = threading.current_thread()
    if starter is threading.main_thread():
        owner = _current_test if _wider_fixtures == 0 else None
    else:  # a thread's threads (a server's, per connection) belong to whoever owns it
        origin = _origins.get(starter)
        if origin is None:  # not started through threading: perhaps a QThread
            qthread = _current_qthread()
            origin = None if qthread is None else _origins.get(qthread)
        owner = origin.test if origin is not None else None
    frames = [frame for frame in traceback.extract_stack()[:-2]
              if not any(part in frame.filename for part in _MACHINERY)]
    _origins[thread] = _Origin(owner, "".join(traceback.format_list(frames[-8:])))


_MACHINERY = ("/_pytest/", "/pluggy/", "/pytestqt/", "/threading.py", "<frozen ")


_thread_start = threading.Thread.start


def _recording_thread_start(self: threading.Thread) -> None:
    _record(self)
    _thread_start(self)


def _watch_qthreads() -> None:
    """QThread.start records too, once Qt is imported (the engine tests never import it)."""
    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThread

    if getattr(QThread.start, "_records_origin", False):
        return
    qthread_start = QThread.start

    def recording_start(
        self: QThread, priority: QThread.Priority = QThread.Priority.InheritPriority
    ) -> None:
        _record(self)
        qthread_start(self, priority)

    recording_start._records_origin = True  # type: ignore[attr-defined]
    QThread.start = recording_start  # type: ignore[method-assign]


def _current_qthread() -> object:
    """The QThread running this code, when Qt is in use (Python sees it as a dummy thread)."""
    qt = sys.modules.get("PySide6.QtCore")
    return None if qt is None else qt.QThread.currentThread()


def _running(thread: object) -> bool:
    if isinstance(thread, threading.Thread):
        return thread.is_alive()
    try:
        return bool(thread.isRunning())  # type: ignore[attr-defined]
    except RuntimeError:  # its C++ object is gone, so it is not running
        return False


def _wait(thread: object, seconds: float) -> None:
    if isinstance(thread, threading.Thread):
        thread.join(seconds)
    else:
        with suppress(RuntimeError):
            thread.wait(max(1, int(seconds * 1000)))  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, object, object]:
    global _wider_fixtures
    wider = fixturedef.scope != "function"
    _wider_fixtures += wider
    try:
        return (yield)
    finally:
        _wider_fixtures -= wider


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    result = yield  # the test's own fixtures are finalized by now
    mine = [(thread, origin) for thread, origin in list(_origins.items())
            if origin.test == item.nodeid and _running(thread)]
    grace = float(item.config.getini("thread_grace"))
    deadline = time.monotonic() + grace
    for thread, _ in mine:
        _wait(thread, max(0.0, deadline - time.monotonic()))
    leaked = [(thread, origin) for thread, origin in mine if _running(thread)]
    for thread, _ in leaked:
        if not isinstance(thread, threading.Thread):
            with suppress(RuntimeError):  # a QThread destroyed while it runs aborts the process
                thread.quit()  # type: ignore[attr-defined]
    problems = []
    if leaked:
        names = "\n\n".join(f"{_name(thread)}, started at:\n{origin.stack}"
                             for thread, origin in leaked)
        problems.append(f"{len(leaked)} thread(s) this test started still run {grace:g} s "
                        f"after its teardown: stop and join them before it ends.\n\n{names}")
    attempts = _network_attempts(item)
    if attempts:
        problems.append("network access beyond loopback was attempted while this test ran "
                        f"(process id, call, address), and refused:\n{attempts}")
    if problems:
        raise AssertionError("\n\n".join(problems))
    return result


def _network_attempts(item: pytest.Item) -> str:
    """What processes wrote to the guard's record since the last test."""
    global _network_seen
    try:
        with item.config.stash[_network_record].open("rb") as file:
            file.seek(_network_seen)
            added = file.read()
    except FileNotFoundError:
        return ""
    _network_seen += len(added)
    return added.decode(errors="replace")


def _name(thread: object) -> str:
    if isinstance(thread, threading.Thread):
        return f"thread {thread.name!r}"
    with suppress(RuntimeError):
        return f"QThread {thread.objectName()!r} ({type(thread).__name__})"  # type: ignore[attr-defined]
    return "a QThread"


# Notes a test leaves for the reader with `record_property("note", text)`, printed at the end of
# the run even when it passes (from pytest-xdist's workers too): the kill tests say there where
# their random kills landed.
_notes: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _notes.extend(f"{report.nodeid}: {value}"
                      for name, value in report.user_properties if name == "note")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _notes:
        terminalreporter.section("notes from the tests")
        for note in _notes:
            terminalreporter.line(note)
