"""The interface in Simplified Chinese: chosen in Settings and kept across starts, or followed
from a Chinese system locale; and a catalog that has every text the code marks, translated."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop import i18n
from desktop.app import _chosen_language
from desktop.main_window import MainWindow
from engine.config import AppConfig, load_config, save_config
from engine.paths import app_paths
from tests.desktop.conftest import LOAD_TIMEOUT_MS, WindowFactory

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "assets" / "translations"
CATALOG = TRANSLATIONS / "hearth_zh_CN.ts"
TOOLS = Path(sys.executable).parent
# What a Chinese window shows where an English one says Chat, Models, Prompt Lab, Collections.
CHINESE_TABS = ["对话", "模型", "提示词实验室", "资料库"]
ENGLISH_TABS = ["Chat", "Models", "Prompt Lab", "Collections"]
CHINESE_MENUS = ["文件(&F)", "编辑(&E)", "对话(&C)", "帮助(&H)"]
PLACEHOLDER = re.compile(r"\{[A-Za-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}")


@pytest.fixture(scope="session", autouse=True)
def compiled() -> None:
    """The .qm files `make install` compiles, compiled here too when missing or older than
    their .ts (a pytest run straight after editing a translation)."""
    for ts in TRANSLATIONS.glob("*.ts"):
        qm = ts.with_suffix(".qm")
        if not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:
            subprocess.run([TOOLS / "pyside6-lrelease", "-silent", ts, "-qm", qm], check=True)


@pytest.fixture
def language() -> Iterator[None]:
    """Whatever a test installs, the next test starts in English."""
    yield
    i18n.uninstall()


def _tabs(window: MainWindow) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]


def _menus(window: MainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


def _start_as_the_app_does(open_window: WindowFactory) -> MainWindow:
    """The language read from the settings file and installed before the window is built, as
    desktop/app.py's main() does."""
    i18n.install(_chosen_language(app_paths()))
    return open_window()


def test_chinese_chosen_shows_chinese(open_window: WindowFactory, language: None) -> None:
    paths = app_paths()
    save_config(paths.settings_file, AppConfig(language="zh_CN"))
    window = _start_as_the_app_does(open_window)
    assert _tabs(window) == CHINESE_TABS
    assert _menus(window) == CHINESE_MENUS
    assert window.chat_panel.send_button.text() == "发送"
    assert window.settings_dock.windowTitle() == "设置"
    assert window.settings_panel.tabs.tabText(0) == "当前对话"
    assert window.settings_panel.language.currentText() == "简体中文"
    assert window.chat_panel.send_button.accessibleName() == "发送或停止"
    presets = window.settings_panel._presets  # the built-in presets by their Chinese names
    assert [presets.itemText(i) for i in range(presets.count())] == ["精确", "均衡", "创意"]


def test_the_choice_is_saved_and_shown_at_the_next_start(
    qtbot: QtBot, open_window: WindowFactory, language: None
) -> None:
    window = _start_as_the_app_does(open_window)
    assert _tabs(window) == ENGLISH_TABS
    combo = window.settings_panel.language
    assert [combo.itemText(i) for i in range(combo.count())] == ["System", "English", "简体中文"]
    assert combo.currentData() == "system"
    window.toggle_settings()
    chinese = combo.findData("zh_CN")
    combo.setCurrentIndex(chinese)
    combo.activated.emit(chinese)
    qtbot.waitUntil(lambda: window.client.config.language == "zh_CN", timeout=LOAD_TIMEOUT_MS)
    assert load_config(app_paths().settings_file).config.language == "zh_CN"
    # Not live: the note says when it shows, and this window stays as it was built.
    assert not window.settings_panel.language_note.isHidden()
    assert window.settings_panel.language_note.text() == "Takes effect when Hearth starts again."
    assert _tabs(window) == ENGLISH_TABS
    window.close()

    again = _start_as_the_app_does(open_window)
    assert _tabs(again) == CHINESE_TABS
    assert again.settings_panel.language.currentData() == "zh_CN"
    # And back: English chosen in Chinese is English at the start after.
    english = again.settings_panel.language.findData("en")
    again.settings_panel.language.setCurrentIndex(english)
    again.settings_panel.language.activated.emit(english)
    qtbot.waitUntil(lambda: again.client.config.language == "en", timeout=LOAD_TIMEOUT_MS)
    again.close()
    assert _tabs(_start_as_the_app_does(open_window)) == ENGLISH_TABS


# A window built in a fresh process with the given locale, its language left at "System", as
# app.main() builds it; it prints the tab titles. The engine is not started: nothing loads.
LOCALE_PROBE = """
import json, sys
from PySide6.QtWidgets import QApplication
from desktop import i18n
from desktop.app import _chosen_language
from desktop.engine_client import EngineClient
from desktop.main_window import MainWindow
from engine.paths import app_paths
app = QApplication(sys.argv[:1])
paths = app_paths().ensure()
shown = i18n.install(_chosen_language(paths))
window = MainWindow(EngineClient(paths))
print(json.dumps([shown] + [window.tabs.tabText(i) for i in range(window.tabs.count())]))
"""


@pytest.mark.parametrize(("locale", "expected"), [
    ("zh_CN.UTF-8", ["zh_CN", *CHINESE_TABS]),
    ("zh_TW.UTF-8", ["zh_CN", *CHINESE_TABS]),
    ("en_GB.UTF-8", ["en", *ENGLISH_TABS]),
])
def test_system_follows_the_locale(locale: str, expected: list[str], hearth_home: Path) -> None:
    env = {**os.environ, "LC_ALL": locale, "LANG": locale, "LANGUAGE": locale.split(".")[0],
           "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", LOCALE_PROBE], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


def _messages(ts: Path) -> dict[tuple[str, str], ElementTree.Element]:
    root = ElementTree.parse(ts).getroot()
    return {
        (context.findtext("name") or "", message.findtext("source") or ""): message
        for context in root.iter("context") for message in context.iter("message")
    }


def test_every_marked_text_is_in_the_catalog(tmp_path: Path) -> None:
    """lupdate run over desktop/ now finds no text the committed catalog lacks (nor keeps one
    the code no longer has): `make translations` then translating the new ones fixes this."""
    fresh = tmp_path / "fresh_zh_CN.ts"
    sources = sorted(str(path) for path in (ROOT / "desktop").rglob("*.py"))
    subprocess.run([TOOLS / "pyside6-lupdate", "-silent", "-locations", "none", *sources,
                    "-ts", fresh], check=True, cwd=ROOT)
    marked, catalog = set(_messages(fresh)), set(_messages(CATALOG))
    assert sorted(marked - catalog) == [], "marked in desktop/ but not in the catalog"
    assert sorted(catalog - marked) == [], "in the catalog but no longer in desktop/"


def test_every_text_is_translated_with_its_placeholders() -> None:
    unfinished, broken = [], []
    for (context, source), message in _messages(CATALOG).items():
        translation = message.find("translation")
        assert translation is not None
        forms = [form.text or "" for form in translation.iter("numerusform")]
        texts = forms if message.get("numerus") == "yes" else [translation.text or ""]
        if translation.get("type") is not None or not all(text.strip() for text in texts):
            unfinished.append((context, source))
            continue
        for text in texts:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)) or (
                    ("%n" in source) != ("%n" in text)):
                broken.append((context, source, text))
    assert unfinished == []
    assert broken == []


def test_the_settings_texts_are_the_engines() -> None:
    """desktop/settings/texts.py lists, for lupdate, the engine's setting names and explanations:
    a text changed in engine/settings.py must change there too, or it shows in English."""
    from desktop.settings.texts import TEXTS
    from engine import settings

    specs = [spec for value in vars(settings).values() if isinstance(value, tuple)
             for spec in value if isinstance(spec, settings.FieldSpec)]
    engine_texts = {text for spec in specs for text in (spec.label, spec.help, spec.advice)
                    if text} | set(settings.CONTEXT_POLICY_LABELS.values()) \
        | set(settings.BUILTIN_PRESETS)
    assert engine_texts == set(TEXTS)


def test_the_language_field_round_trips_and_refuses_unknown_languages() -> None:
    from engine.errors import SettingsError

    config = AppConfig(language="zh_CN")
    assert AppConfig.from_json(config.to_json()) == config
    assert AppConfig.from_json('{"version": 1}').language == "system"  # older files
    with pytest.raises(SettingsError) as refused:
        AppConfig.from_json('{"version": 1, "language": "klingon"}')
    assert "language" in str(refused.value)
