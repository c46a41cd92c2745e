"""`hearth`: starts the desktop app; `hearth --self-test` answers one message offscreen."""

from __future__ import annotations

import argparse
import io
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

from engine import network_guard
from engine.instance_lock import InstanceLock, holder_pid
from engine.paths import APP_ID, APP_NAME, AppPaths, app_paths

if TYPE_CHECKING:
    from types import TracebackType

    from PySide6.QtCore import QMessageLogContext, QtMsgType

SELF_TEST_MESSAGE = "Say hello in one short sentence."
SELF_TEST_TIMEOUT_MS = 180_000
# From the source tree (and the frozen app's copy of it), else where `pip install` put it.
ICON_PLACES = (
    Path(__file__).resolve().parent.parent / "assets" / "hearth.svg",
    Path(sys.prefix) / "share" / "hearth" / "hearth.svg",
)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hearth", description="Private, offline AI chat.")
    parser.add_argument("--self-test", action="store_true",
                        help="start offscreen, answer one message, print it and exit")
    return parser.parse_args(argv)


def _setup_logging(paths: AppPaths) -> None:
    paths.ensure()
    handler = RotatingFileHandler(paths.log_file, maxBytes=2_000_000, backupCount=2,
                                  encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)


class _LogStream(io.TextIOBase):
    """Stands in for a missing stdout or stderr (a windowed app has no console): lines written
    to it go to the log instead of raising or vanishing."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._log = logging.getLogger(f"hearth.{name}")
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            if line.strip():
                self._log.info("%s", line.rstrip())
        return len(text)


def _route_output_and_errors_to_log() -> None:
    """Uncaught errors, from any thread, reach the log file, and still the console if any."""
    log = logging.getLogger("hearth")
    has_console = sys.__stderr__ is not None
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, _LogStream(name))
    if not has_console:
        log.info("no console: standard output and errors go to this log")

    def log_uncaught(kind: type[BaseException], error: BaseException,
                     trace: TracebackType | None) -> None:
        log.critical("uncaught error", exc_info=(kind, error, trace))
        if has_console:
            sys.__excepthook__(kind, error, trace)

    def log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread else "unknown"
        log.critical("uncaught error in thread %s", name,
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        if has_console:
            threading.__excepthook__(args)

    sys.excepthook = log_uncaught
    threading.excepthook = log_uncaught_in_thread


def _log_qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    from PySide6.QtCore import QtMsgType

    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    logging.getLogger("hearth.qt").log(levels.get(kind, logging.WARNING), "%s", message)
    if sys.__stderr__ is not None and kind != QtMsgType.QtDebugMsg:
        print(message, file=sys.__stderr__, flush=True)


def _chosen_language(paths: AppPaths) -> str:
    """The language chosen in Settings; read without the engine's repairs (it reports a broken
    settings file itself, once the window is up)."""
    from engine.config import AppConfig
    from engine.errors import SettingsError

    try:
        return AppConfig.from_json(paths.settings_file.read_text(encoding="utf-8")).language
    except (OSError, UnicodeDecodeError, SettingsError):
        return "system"


def _hand_over(paths: AppPaths) -> int:
    """Another Hearth owns this data folder: show its window instead of opening a second."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    from desktop.single_instance import ask_running_instance_to_show

    log = logging.getLogger("hearth")
    if ask_running_instance_to_show(paths):
        log.info("already running on this data folder: asked it to show its window")
        return 0
    pid = holder_pid(paths.data_dir)
    log.error("already running with this data folder (%s), as process %s, and did not answer",
              paths.data_dir, pid or "unknown")
    text = QCoreApplication.translate(
        "app", "Hearth is already running with this data folder ({folder}), as process {pid}, "
        "and did not answer. Close it, then start again.").format(
            folder=paths.data_dir, pid=pid or QCoreApplication.translate("app", "unknown"))
    QMessageBox.critical(None, QCoreApplication.translate("app", "Hearth is already running"),
                         text)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    # The frozen app is its own engine host: started as one, it runs the host and returns.
    multiprocessing.freeze_support()
    network_guard.install_from_environment()
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    paths = app_paths()
    _setup_logging(paths)
    _route_output_and_errors_to_log()

    from PySide6.QtCore import QSettings, qInstallMessageHandler
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop import i18n
    from desktop.engine_client import EngineClient
    from desktop.main_window import MainWindow
    from desktop.single_instance import ShowRequests

    qInstallMessageHandler(_log_qt_message)
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    icon = next((place for place in ICON_PLACES if place.exists()), None)
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    # Window geometry lives beside Hearth's own settings, so HEARTH_HOME moves it too.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(paths.config_dir))

    # The interface's language, before any window is built (a change applies at the next start).
    i18n.install(_chosen_language(paths))

    lock = InstanceLock.acquire(paths.data_dir)
    if lock is None:
        return _hand_over(paths)
    show_requests = ShowRequests(paths, app)
    logging.getLogger("hearth").info("holding %s; listening for later starts", lock.path)
    client = EngineClient(paths)
    window = MainWindow(client)
    show_requests.showRequested.connect(window.bring_to_front)
    show_requests.showRequested.connect(
        lambda: logging.getLogger("hearth").info("a later start asked for the window")
    )
    app.aboutToQuit.connect(client.shutdown)
    if args.self_test:
        from desktop.self_test import SelfTest, check_search_model

        test = SelfTest(client, window, SELF_TEST_MESSAGE, SELF_TEST_TIMEOUT_MS)
        client.start()
        window.show()
        app.exec()
        return test.exit_code or check_search_model(paths)
    window.show()
    client.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
