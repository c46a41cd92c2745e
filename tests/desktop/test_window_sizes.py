"""The smallest supported window, 900x600, in English and in Chinese: every tab (the welcome, the
chat with and without the settings dock, Models, Prompt Lab, Collections) shows its buttons,
labels, fields and tabs whole; what does not fit scrolls or wraps."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from desktop import i18n
from desktop.main_window import MINIMUM_SIZE, MainWindow
from engine.config import AppConfig, save_config
from engine.paths import app_paths
from tests.desktop.conftest import LOAD_TIMEOUT_MS, WindowFactory
from tests.desktop.layout_check import cut_widgets


@pytest.fixture
def language() -> Iterator[None]:
    yield
    i18n.uninstall()


def _views(qtbot: QtBot, window: MainWindow) -> Iterator[str]:
    """Shows each view in turn, yielding its name once laid out."""
    def settled() -> None:
        qtbot.wait(50)  # the layouts' posted requests run

    window.tabs.setCurrentWidget(window.welcome)
    settled()
    yield "welcome"
    window.tabs.setCurrentWidget(window.chat_tab)
    settled()
    yield "chat"
    window.toggle_settings()
    panel = window.settings_panel
    for index in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(index)
        settled()
        yield f"chat, settings dock: {panel.tabs.tabText(index)}"
    for page in (window.models_tab, window.prompt_lab_tab, window.collections_tab):
        window.tabs.setCurrentWidget(page)
        settled()
        yield f"{window.tabs.tabText(window.tabs.currentIndex())}, settings dock open"
    window.settings_dock.hide()
    for page in (window.models_tab, window.prompt_lab_tab, window.collections_tab):
        window.tabs.setCurrentWidget(page)
        settled()
        yield window.tabs.tabText(window.tabs.currentIndex())


@pytest.mark.parametrize("shown", [i18n.ENGLISH, i18n.CHINESE])
def test_every_tab_holds_at_the_smallest_size(
    qtbot: QtBot, open_window: WindowFactory, test_config: AppConfig, language: None, shown: str
) -> None:
    paths = app_paths()
    save_config(paths.settings_file, dataclasses.replace(test_config, language=shown))
    paths.welcomed_file.unlink()  # a first start: the welcome is a tab too
    assert i18n.install(shown) == shown
    window = open_window()
    qtbot.waitUntil(lambda: window.welcome.shown, timeout=LOAD_TIMEOUT_MS)
    qtbot.waitUntil(lambda: "tok/s" in window.welcome.details_label.text(),
                    timeout=LOAD_TIMEOUT_MS)
    assert (window.minimumSize().width(), window.minimumSize().height()) == MINIMUM_SIZE == (
        900, 600)
    window.resize(*MINIMUM_SIZE)
    cut = {}
    for view in _views(qtbot, window):
        # The window stays at its minimum: its contents fit, none of them pushed it wider.
        assert (window.width(), window.height()) == MINIMUM_SIZE, view
        problems = cut_widgets(window)
        hint = window.minimumSizeHint()
        if hint.width() > MINIMUM_SIZE[0] or hint.height() > MINIMUM_SIZE[1]:
            problems.append(f"the window's contents need {hint.width()}x{hint.height()}")
        if problems:
            cut[view] = problems
    assert cut == {}


def test_the_check_finds_what_is_cut(qtbot: QtBot) -> None:
    """The check above fails where text is cut: a label or a button given less room than its
    text, a wrapping label shorter than its lines, a field outside the widget it sits in."""
    window = QWidget()
    qtbot.addWidget(window)
    window.setFixedSize(300, 200)
    layout = QVBoxLayout(window)
    short = QLabel("Fits")
    layout.addWidget(short)
    button = QPushButton("Send")
    layout.addWidget(button)
    window.show()
    qtbot.waitExposed(window)
    assert cut_widgets(window) == []

    short.setText("A label far longer than the three hundred pixels this window has room for")
    qtbot.wait(20)
    assert any("A label far longer" in problem for problem in cut_widgets(window))
    short.setText("Fits")

    button.setText("Regenerate the reply with another seed, at a higher temperature")
    button.setMaximumWidth(120)
    qtbot.wait(20)
    assert any("Regenerate" in problem for problem in cut_widgets(window))
    button.setText("Send")

    wrapped = QLabel("Many words that need several lines at this width, " * 6)
    wrapped.setWordWrap(True)
    wrapped.setFixedHeight(20)
    layout.addWidget(wrapped)
    qtbot.wait(20)
    assert any("tall, needs" in problem for problem in cut_widgets(window))
    wrapped.hide()

    far = QPushButton("Far", window)
    far.move(280, 10)
    far.show()
    qtbot.wait(20)
    assert any("cut by the widgets around it" in problem for problem in cut_widgets(window))
