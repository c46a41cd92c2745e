"""Chat templates and the loop guard in a real window: the Models tab shows which template a model
is read with and lets a person choose another; the chat says when a model continues the text and
when a reply was stopped for repeating itself."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from engine.config import AppConfig
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.desktop.conftest import LOAD_TIMEOUT_MS, WindowFactory
from tests.engine.test_repetition import LOOPING_PROMPT

REPLY_TIMEOUT_MS = 60_000
TEMPLATE = 10  # the Models tab's column


@pytest.fixture
def test_config() -> AppConfig:
    return AppConfig(
        chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=300, seed=1,
                                                             temperature=0.0)),
        runtime=RuntimeSettings(n_ctx=2048, n_threads=1),
    )


def test_a_template_chosen_in_the_models_tab_is_used_and_a_loop_is_stopped_with_a_note(
    qtbot: QtBot, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    tab, panel, client = window.models_tab, window.chat_panel, window.client
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.installed.rowCount() >= 1, timeout=LOAD_TIMEOUT_MS)
    installed = tab.installed
    assert installed.headerData(TEMPLATE, Qt.Orientation.Horizontal) == "Chat template"
    assert installed.index(0, TEMPLATE).data() == "the model's own"
    assert installed.index(0, TEMPLATE).data(Qt.ItemDataRole.ToolTipRole) == (
        "the model's own (from the GGUF)")

    tab.installed_view.selectRow(0)
    asked: list[str] = []

    def pick(_parent: object, _title: str, label: str, items: list[str], *_rest: object
             ) -> tuple[str, bool]:
        asked.append(label)
        return next(item for item in items if item.startswith("None: continue")), True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    with qtbot.waitSignal(client.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        tab.template_button.click()  # the loaded model is loaded again, read the new way
    assert "is read with: the model's own (from the GGUF)" in asked[0]
    qtbot.waitUntil(lambda: installed.index(0, TEMPLATE).data()
                    == "none: continues the text (your choice)", timeout=LOAD_TIMEOUT_MS)
    assert not panel.banner.isHidden() and panel.banner.text().endswith(
        "is read without a chat template, as you chose: it continues your text instead of "
        "answering it.")

    window.tabs.setCurrentWidget(window.chat_tab)
    panel.composer.setPlainText(LOOPING_PROMPT)  # the model goes on writing lines of `<`
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        panel.composer.setFocus()
        qtbot.keyClick(panel.composer, Qt.Key.Key_Return)
    reply, done = finished.args[1], finished.args[2]
    assert done.finish_reason == "repetition" and done.generated_tokens < 64
    assert reply.status == "stopped" and reply.content.startswith("<\n<\n")
    assert panel.banner.text() == "Stopped: the model was repeating itself."
