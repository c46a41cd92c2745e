"""Links in a model's reply: nothing opens by itself, and only after the person agrees."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.chat.link_opener import judge_link
from desktop.chat.panel import ChatPanel
from desktop.chat.view import ChatView
from desktop.engine_client import EngineClient
from desktop.remote.client import remote_engines
from engine.chat.store import MessageRecord
from engine.paths import app_paths
from tests.desktop.conftest import shown_chat_view

REPLY = "Read [the guide](https://example.org/guide) first.\n\n" + "More text. " * 20


def _view_with_reply(qtbot: QtBot) -> ChatView:
    record = MessageRecord(1, 1, "assistant", REPLY, time.time(), "done", None, None)
    return shown_chat_view(qtbot, [record], (600, 400))


def _find_link(view: ChatView) -> QPoint:
    rect = view.visualRect(view.model().index(0, 0))
    for y in range(rect.top(), rect.bottom(), 3):
        for x in range(rect.left(), rect.right(), 4):
            if view.link_at(QPoint(x, y)):
                return QPoint(x, y)
    raise AssertionError("the link is not where the view draws it")


def test_a_click_on_a_link_asks_with_the_real_target(qtbot: QtBot) -> None:
    view = _view_with_reply(qtbot)
    point = _find_link(view)
    assert view.link_at(point) == "https://example.org/guide"
    with qtbot.waitSignal(view.linkClicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert clicked.args == [QUrl("https://example.org/guide")]


def test_plain_text_is_not_a_link(qtbot: QtBot) -> None:
    view = _view_with_reply(qtbot)
    rect = view.visualRect(view.model().index(0, 0))
    assert view.link_at(QPoint(rect.center().x(), rect.bottom() - 12)) == ""


@pytest.mark.parametrize(
    "target",
    ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,hi", "smb://host/share", ""],
)
def test_links_that_are_not_web_or_mail_are_never_opened(target: str) -> None:
    verdict = judge_link(QUrl(target))
    assert not verdict.openable
    assert "does not open" in verdict.message


def test_a_web_link_names_its_site_before_opening() -> None:
    verdict = judge_link(QUrl("https://evil.example.com/login?next=bank"))
    assert verdict.openable
    assert "Site: evil.example.com" in verdict.message


def test_the_panel_opens_only_after_the_person_agrees(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The dialog and the browser are the desktop's: stand-ins record what would happen.
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Open]
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: answers.pop(0))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    client = EngineClient(app_paths().ensure())  # never started: no model, no engine thread
    panel = ChatPanel(client)
    qtbot.addWidget(panel)
    url = QUrl("https://example.org/guide")
    panel.view.linkClicked.emit(url)
    assert opened == []  # cancelled
    panel.view.linkClicked.emit(url)
    assert opened == [url]
    panel.view.linkClicked.emit(QUrl("file:///home/me/.ssh/id_rsa"))
    assert opened == [url] and "file: link" in shown[0]
    remote_engines(client).shutdown()  # as closing the window does: its file thread ends
