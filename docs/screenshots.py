"""The README's language screenshots: the chat (a code block, a folded thinking), the Settings
dock, the Models tab and the first start's welcome, light and dark, in English and in Chinese.

    xvfb-run -a -s "-screen 0 2600x1800x24" .venv/bin/python docs/screenshots.py

Then the smallest window, 900x600, light, in both languages (small-<view>-<en|zh>.png: the chat
with the settings dock open, the Models and Prompt Lab tabs), and the chat at 200% scaling
(QT_SCALE_FACTOR=2, scale2-chat-en.png; the screen must hold 2 x 1180x760).

Each language and theme runs in a child process on a fresh temporary data folder with the
bundled model, the language installed before the window is built, as at start-up. Chinese
needs a CJK font (Debian: apt-get install fonts-noto-cjk). Writes docs/screens/*.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screens"
SIZE = (1180, 760)
LANGUAGES = ("en", "zh_CN")
THEMES = ("light", "dark")

# The chat shown: a question, then a reply with a folded thinking and a code block.
CHAT = {
    "en": (
        "Write a Python function that tells whether a number is prime, and explain it briefly.",
        "The person wants a prime test. Trial division up to the square root is enough; handle "
        "numbers below 2 and even numbers first.",
        "Trial division up to the square root is enough: a factor above it pairs with one "
        "below it.\n\n```python\ndef is_prime(n: int) -> bool:\n    if n < 2:\n        return "
        "False\n    if n % 2 == 0:\n        return n == 2\n    factor = 3\n    while factor * "
        "factor <= n:\n        if n % factor == 0:\n            return False\n        factor += "
        "2\n    return True\n```\n\nIt checks only odd factors, so it does half the work.",
    ),
    "zh_CN": (
        "用 Python 写一个判断一个数是否为质数的函数，并简要解释它的原理。",
        "用户需要一个质数判断函数。只需试除到平方根；先处理小于 2 的数和偶数。",
        "只需试除到平方根即可：大于平方根的因数一定与一个小于平方根的因数成对出现，所以检查到"
        "平方根就足够了，这样可以大大减少计算量。\n\n```python\ndef is_prime(n: int) -> bool:\n"
        "    if n < 2:\n        return False\n    if n % 2 == 0:\n        return n == 2\n"
        "    factor = 3\n    while factor * factor <= n:\n        if n % factor == 0:\n"
        "            return False\n        factor += 2\n    return True\n```\n\n"
        "它只检查奇数因数，因此工作量减半。",
    ),
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for language in LANGUAGES:
        for theme in THEMES:
            with tempfile.TemporaryDirectory() as home:
                print(f"{language} {theme}", flush=True)
                subprocess.run([sys.executable, __file__, "--one", language, theme],
                               env={**env, "HEARTH_HOME": home}, check=True, timeout=600)
    for language in LANGUAGES:
        with tempfile.TemporaryDirectory() as home:
            print(f"{language} at 900x600", flush=True)
            subprocess.run([sys.executable, __file__, "--small", language],
                           env={**env, "HEARTH_HOME": home}, check=True, timeout=600)
    with tempfile.TemporaryDirectory() as home:
        print("en at 200%", flush=True)
        subprocess.run([sys.executable, __file__, "--one", "en", "light", "scale2"],
                       env={**env, "HEARTH_HOME": home, "QT_SCALE_FACTOR": "2"}, check=True,
                       timeout=600)
    return 0


def _wait(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    from PySide6.QtCore import QCoreApplication

    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there")
        QCoreApplication.processEvents()
        time.sleep(0.02)


def _settle(seconds: float = 0.5) -> None:
    from PySide6.QtCore import QCoreApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.02)


def one(language: str, theme: str, only: str = "") -> None:
    """The views in `language` and `theme`; `only` "scale2": the chat alone, as scale2-chat-en.png
    (the process runs with QT_SCALE_FACTOR=2); "small": the views at 900x600 as small-*.png."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from desktop import i18n
    from desktop.engine_client import EngineClient
    from desktop.main_window import MINIMUM_SIZE, MainWindow
    from engine.chat.store import MessageRecord
    from engine.config import AppConfig, save_config
    from engine.models.files import bundled_model_path
    from engine.models.speed import SpeedCalibration, cpu_identity, save_calibration
    from engine.paths import app_paths
    from engine.settings import RuntimeSettings

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    palette = app.style().standardPalette()
    if theme == "dark":
        for role, name in ((QPalette.ColorRole.Window, "#2b2b2b"),
                           (QPalette.ColorRole.WindowText, "#e6e6e6"),
                           (QPalette.ColorRole.Base, "#1e1e1e"),
                           (QPalette.ColorRole.AlternateBase, "#2d2d30"),
                           (QPalette.ColorRole.Text, "#e6e6e6"),
                           (QPalette.ColorRole.Button, "#3a3a3a"),
                           (QPalette.ColorRole.ButtonText, "#e6e6e6"),
                           (QPalette.ColorRole.PlaceholderText, "#9a9a9a"),
                           (QPalette.ColorRole.Mid, "#555555"),
                           (QPalette.ColorRole.Link, "#8ab4f8"),
                           (QPalette.ColorRole.ToolTipBase, "#3a3a3a"),
                           (QPalette.ColorRole.ToolTipText, "#e6e6e6")):
            palette.setColor(role, QColor(name))
    app.setPalette(palette)

    paths = app_paths().ensure()
    save_config(paths.settings_file, AppConfig(runtime=RuntimeSettings(n_ctx=2048),
                                               language=language))
    model = bundled_model_path()
    # This computer's speed as if measured once: the welcome shows its recommendation at once.
    save_calibration(paths.speed_file, SpeedCalibration(
        cpu_identity(), model.name, model.stat().st_size, 118.9))
    i18n.install(language)

    client = EngineClient(paths)
    window = MainWindow(client)
    window.resize(*(MINIMUM_SIZE if only == "small" else SIZE))
    window.show()
    client.start()
    loaded: list[object] = []
    client.modelLoaded.connect(lambda *args: loaded.append(args))
    _wait(lambda: window.chat_panel.chat_id is not None and bool(loaded))
    _wait(lambda: window.welcome.shown)
    _wait(lambda: "tok/s" in window.welcome.details_label.text(), 30)
    _settle(1.0)
    name = f"{language.split('_')[0]}-{theme}"
    if not only:
        window.grab().save(str(OUT / f"welcome-{name}.png"))

    window.tabs.setCurrentWidget(window.chat_tab)
    question, thinking, answer = CHAT[language]
    chat_id = window.chat_panel.chat_id
    records = [
        MessageRecord(1, chat_id, "user", question, time.time(), "done", 30, None),
        MessageRecord(2, chat_id, "assistant", answer, time.time(), "done", 140, 41.7,
                      parent_id=1, model=model.stem, reasoning=thinking),
    ]
    window.chat_panel.messages.set_messages(chat_id, records)
    _settle(1.0)
    if only == "scale2":
        window.grab().save(str(OUT / f"scale2-chat-{language.split('_')[0]}.png"))
        client.shutdown()
        return
    if only == "small":
        _small_views(window, language.split("_")[0])
        client.shutdown()
        return
    window.grab().save(str(OUT / f"chat-{name}.png"))

    window.toggle_settings()
    window.settings_panel.tabs.setCurrentIndex(1)  # Defaults: the language is chosen there
    _settle(1.0)
    window.grab().save(str(OUT / f"settings-{name}.png"))

    window.settings_dock.hide()
    window.tabs.setCurrentWidget(window.models_tab)
    _settle(1.5)
    window.grab().save(str(OUT / f"models-{name}.png"))
    client.shutdown()


def _small_views(window: object, language: str) -> None:
    """The chat with the settings dock open, then Models and Prompt Lab, at 900x600."""
    from desktop.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.toggle_settings()
    _settle(1.0)
    window.grab().save(str(OUT / f"small-chat-{language}.png"))
    window.settings_dock.hide()
    for page, view in ((window.models_tab, "models"), (window.prompt_lab_tab, "prompt-lab")):
        window.tabs.setCurrentWidget(page)
        _settle(1.5)
        window.grab().save(str(OUT / f"small-{view}-{language}.png"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        sys.path.insert(0, str(ROOT))
        one(*sys.argv[2:5])
        sys.exit(0)
    if sys.argv[1:2] == ["--small"]:
        sys.path.insert(0, str(ROOT))
        one(sys.argv[2], "light", "small")
        sys.exit(0)
    sys.exit(main())
