"""The suite's own rules (tests/suite_rules.py) catch what they promise to: each check runs pytest
on a small test file of its own, in a child process, with those rules loaded."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.suite_rules import ALLOWED_SKIPS

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(folder: Path, source: str, *ini: str) -> subprocess.CompletedProcess[str]:
    """pytest in a child, on `source` as a test module, with `ini` lines as its settings."""
    (folder / "test_sample.py").write_text(textwrap.dedent(source), encoding="utf-8")
    (folder / "pytest.ini").write_text("\n".join(["[pytest]", "qt_api = pyside6", *ini]))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.suite_rules", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-q", "-c", str(folder / "pytest.ini"), str(folder)],
        capture_output=True, text=True, timeout=120, cwd=folder, env=env,
    )


def test_a_skip_not_on_the_list_fails_and_says_where_to_allow_it(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, """
        import pytest

        def test_skipped():
            pytest.skip("no reason given")

        @pytest.mark.skipif(True, reason="a condition")
        def test_skipped_by_a_mark():
            pass

        @pytest.mark.xfail(reason="known", strict=True)
        def test_expected_to_fail():
            assert False
    """)
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 xfailed, 1 error" in run.stdout
    assert "test_skipped skipped (no reason given), and that skip is not allowed" in run.stdout
    assert "ALLOWED_SKIPS in tests/suite_rules.py" in run.stdout


@pytest.mark.parametrize("test", sorted(ALLOWED_SKIPS))
def test_each_allowed_skip_names_a_test_that_exists(test: str) -> None:
    path, name = test.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, name, None)), f"{test} is gone: take it off the list"


def test_a_thread_left_running_fails_its_test_and_says_where_it_started(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, """
        import threading

        import pytest
        from PySide6.QtCore import QThread

        stop, connect, connected = threading.Event(), threading.Event(), threading.Event()

        def serve():
            connect.wait()
            threading.Thread(target=stop.wait, name="connection", daemon=True).start()
            connected.set()
            stop.wait()

        @pytest.fixture(scope="module")
        def server():
            thread = threading.Thread(target=serve, name="module-server")
            thread.start()  # a wider fixture's thread may outlive the test that made it
            yield
            stop.set()
            thread.join()

        def test_leaves_a_thread(server):
            threading.Thread(target=stop.wait, name="forgotten", daemon=True).start()
            connect.set()  # and so may the threads the server starts meanwhile
            connected.wait()

        def test_leaves_a_qthread(server, qtbot):
            test_leaves_a_qthread.kept = QThread()
            test_leaves_a_qthread.kept.start()

        def test_joins_its_thread(server):
            thread = threading.Thread(target=lambda: None)
            thread.start()
            thread.join()
    """, "thread_grace = 0.5")
    assert run.returncode == 1, run.stdout
    assert "3 passed, 2 errors" in run.stdout
    assert "thread 'forgotten', started at:" in run.stdout
    assert "QThread '' (QThread), started at:" in run.stdout
    assert "in test_leaves_a_thread" in run.stdout
    assert "module-server" not in run.stdout and "'connection'" not in run.stdout


def test_a_test_hung_with_the_gil_held_is_ended_and_shows_its_native_stack(
    tmp_path: Path,
) -> None:
    # A lock taken twice through ctypes.PyDLL waits for good with the GIL held, as a Qt call from
    # a worker thread did (the hang this backstop was made for): SIGALRM's handler never runs.
    run = run_pytest(tmp_path, """
        import ctypes
        import pytest

        @pytest.mark.timeout(1)
        def test_hangs_holding_the_gil():
            libc = ctypes.PyDLL(None)
            mutex = ctypes.create_string_buffer(64)  # zeros: an unlocked glibc mutex
            libc.pthread_mutex_lock(mutex)
            libc.pthread_mutex_lock(mutex)
    """, "backstop = 16")
    assert run.returncode != 0
    assert "Timeout (0:00:17)!" in run.stderr
    assert "in test_hangs_holding_the_gil" in run.stderr
    if shutil.which("gdb"):  # the native stacks come with gdb (tests/native_stacks.py)
        assert "Native stacks of process" in run.stderr
        assert "pthread_mutex_lock" in run.stderr.split("Native stacks of process")[1]


def test_a_qt_warning_fails_its_test_unless_it_is_on_the_allow_list(tmp_path: Path) -> None:
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    run = run_pytest(tmp_path, """
        from PySide6.QtCore import qWarning

        def test_warns(qtbot):
            qWarning("something is off")

        def test_warns_as_allowed(qtbot):
            qWarning("This plugin does not support propagateSizeHints()")
    """, f"qt_log_level_fail = {ini['qt_log_level_fail']}",
        "qt_log_ignore =", *(f"    {pattern}" for pattern in ini["qt_log_ignore"]))
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed" in run.stdout
    assert "QtWarningMsg: something is off" in run.stdout


def test_a_worker_tells_the_rerun_plugin_each_status_without_waiting(
    pytestconfig: pytest.Config,
) -> None:
    """Under pytest-xdist (as `make test` runs), the worker's socket to pytest-rerunfailures'
    controller sends at once: with Nagle's algorithm every test waited 40 ms at its teardown."""
    sock = getattr(getattr(pytestconfig, "failures_db", None), "sock", None)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # -n 0 (a debugging run) has no such socket
        assert isinstance(sock, socket.socket)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
