"""A windowed app has no console: what it prints and every uncaught error must reach its log.

Simulated here the way a frozen app without a console starts (sys.stdout, sys.stderr and
sys.__stderr__ are None); `make test-package` checks the same on the real bundle.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer, qInstallMessageHandler, qWarning
from pytestqt.qtbot import QtBot

from desktop import app
from engine.paths import AppPaths, app_paths


@pytest.fixture
def log_setup(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppPaths]:
    """Hearth's own log set up in the test's data folder; hooks and handlers restored after."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    paths = app_paths()
    app._setup_logging(paths)
    yield paths
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def log_text(paths: AppPaths) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return paths.log_file.read_text(encoding="utf-8")


def fail_in_thread() -> None:
    raise RuntimeError("failed on the engine thread")


def test_without_a_console_prints_and_errors_go_to_the_log(
    log_setup: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("stdout", "stderr", "__stderr__"):
        monkeypatch.setattr(sys, name, None)
    app._route_output_and_errors_to_log()

    print("a reply", "in two parts")
    print("a stage line", file=sys.stderr, flush=True)
    try:
        raise ValueError("a bug in a slot")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    worker = threading.Thread(target=fail_in_thread, name="engine")
    worker.start()
    worker.join()

    text = log_text(log_setup)
    assert "INFO hearth: no console: standard output and errors go to this log" in text
    assert "INFO hearth.stdout: a reply in two parts" in text
    assert "INFO hearth.stderr: a stage line" in text
    assert "CRITICAL hearth: uncaught error\nTraceback" in text
    assert "ValueError: a bug in a slot" in text
    assert "CRITICAL hearth: uncaught error in thread engine\nTraceback" in text
    assert "RuntimeError: failed on the engine thread" in text


def test_with_a_console_errors_go_to_the_log_and_the_console(
    log_setup: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    app._route_output_and_errors_to_log()
    try:
        raise ValueError("shown twice")
    except ValueError:
        sys.excepthook(*sys.exc_info())

    assert "ValueError: shown twice" in capsys.readouterr().err
    text = log_text(log_setup)
    assert "ValueError: shown twice" in text
    assert "no console" not in text


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_qt_slot_reaches_the_log(log_setup: AppPaths, qtbot: QtBot) -> None:
    app._route_output_and_errors_to_log()

    def broken_slot() -> None:
        raise KeyError("missing in a slot")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: "KeyError: 'missing in a slot'" in log_text(log_setup))


def test_qt_warnings_reach_the_log(log_setup: AppPaths) -> None:
    previous = qInstallMessageHandler(app._log_qt_message)
    try:
        qWarning("a Qt warning")
    finally:
        qInstallMessageHandler(previous)

    assert "WARNING hearth.qt: a Qt warning" in log_text(log_setup)
