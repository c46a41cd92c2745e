"""`hearth`: starts the desktop app; `hearth --self-test` answers one message offscreen."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path

from engine.paths import APP_ID, APP_NAME, AppPaths, app_paths

SELF_TEST_MESSAGE = "Say hello in one short sentence."
SELF_TEST_TIMEOUT_MS = 180_000
ICON = Path(__file__).resolve().parent.parent / "assets" / "hearth.svg"


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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    paths = app_paths()
    _setup_logging(paths)

    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop.engine_client import EngineClient
    from desktop.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))
    # Window geometry lives beside Hearth's own settings, so HEARTH_HOME moves it too.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(paths.config_dir))

    client = EngineClient(paths)
    window = MainWindow(client)
    app.aboutToQuit.connect(client.shutdown)
    if args.self_test:
        from desktop.self_test import SelfTest

        test = SelfTest(client, window, SELF_TEST_MESSAGE, SELF_TEST_TIMEOUT_MS)
        client.start()
        window.show()
        app.exec()
        return test.exit_code
    window.show()
    client.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
