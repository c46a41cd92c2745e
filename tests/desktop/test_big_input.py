"""Big and strange input in the real window: the GUI thread never stalls for long, and the
engine answers or refuses with a reason.

The stall is measured as the longest gap between ticks of a 10 ms timer on the GUI thread while
the input is handled (tests/desktop/conftest.py).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from tests.desktop.conftest import MAX_STALL_MS, WindowFactory, longest_stall

WAIT_MS = 180_000


def _paste(window: MainWindow, text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    window.chat_panel.composer.insertFromMimeData(mime)


def test_a_10_mb_paste_is_refused_with_the_limit_and_the_window_stays_live(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    panel = window.chat_panel
    with longest_stall() as stall:
        _paste(window, "All work and no play makes a dull day. " * 260_000)  # ~10 MB
        qtbot.waitUntil(lambda: "characters" in panel.banner.text(), timeout=WAIT_MS)
    assert stall() < MAX_STALL_MS
    assert panel.composer.toPlainText() == ""
    assert panel.attachment.document is None


def test_a_1_mb_line_without_spaces_becomes_a_document(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    panel = window.chat_panel
    with longest_stall() as stall:
        _paste(window, "x" * 1_000_000)
        qtbot.waitUntil(lambda: panel.attachment.document is not None, timeout=WAIT_MS)
        qtbot.wait(50)  # let the chip lay out, inside the measured span
    assert stall() < MAX_STALL_MS
    assert panel.attachment.tokens > 0
    assert "📄 Pasted text · 1.0 MB" in panel.attachment.chip.text()


def test_nul_bytes_and_mixed_scripts_are_sent_and_answered(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    panel = window.chat_panel
    text = "Hello\x00 مرحبا שלום e\u0301\u0301 👋🏽 ﷽"
    panel.composer.setPlainText(text)
    with qtbot.waitSignal(window.client.replyEnded, timeout=WAIT_MS) as ended:
        panel.submit()
    assert ended.args[1] is not None and ended.args[1].status in ("done", "stopped")
    shown = panel.messages.index(0).data()
    assert "مرحبا" in shown and "\x00" not in shown
