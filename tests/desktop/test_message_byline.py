"""Each message's header: the speaker, then, muted, the model that wrote a reply and when."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Literal

from PySide6.QtCore import QDate, QDateTime, QLocale, Qt
from PySide6.QtGui import QFont, QFontMetrics
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageRole, model_name, written_at
from desktop.chat.view import BYLINE_GAP, PADDING
from engine.chat.store import MessageRecord
from tests.desktop.conftest import shown_chat_view

# A long name: at the width below it cannot fit beside the speaker and "‹ 2/2 ›".
LONG_MODEL = "/models/Meta-Llama-3.1-70B-Instruct-abliterated-with-a-long-name-Q4_K_M.gguf"


def test_a_reply_names_its_model_by_the_file_without_its_quantization() -> None:
    assert model_name("/data/models/SmolLM2-135M-Instruct.Q4_1.gguf") == "SmolLM2-135M-Instruct"
    assert model_name("/m/Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf") == (
        "Qwen2.5-Coder-1.5B-Instruct")
    assert model_name("/m/big-Q8_0-00001-of-00003.gguf") == "big"  # a split model's first part
    assert model_name("/m/tinyllama.gguf") == "tinyllama"
    assert model_name("/m/Q4_K_M.gguf") == "Q4_K_M"  # nothing else to call it
    assert model_name("remote:lab/meta-llama/Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"


def test_the_time_alone_on_the_day_written_and_the_date_too_on_another() -> None:
    written = datetime(2026, 3, 14, 9, 26).timestamp()  # local time, as shown
    when = QDateTime.fromMSecsSinceEpoch(round(written * 1000))
    locale = QLocale.system()
    same_day = written_at(written, today=QDate(2026, 3, 14))
    assert same_day == locale.toString(when.time(), QLocale.FormatType.ShortFormat)
    later = written_at(written, today=QDate(2026, 3, 15))
    assert later == locale.toString(when, QLocale.FormatType.ShortFormat)
    assert same_day in later and later != same_day


def _message(id: int, role: Literal["user", "assistant"], parent: int | None,
             model: str | None = None, versions: int = 1) -> MessageRecord:
    return MessageRecord(id, 1, role, "Hello.", time.time(), "done", None, None,
                         parent_id=parent, model=model, version=versions, versions=versions)


def test_the_byline_is_spoken_and_gives_way_to_the_version_control(qtbot: QtBot) -> None:
    messages = [_message(1, "user", None),
                _message(2, "assistant", 1, LONG_MODEL, versions=2)]
    view = shown_chat_view(qtbot, messages, (420, 400))
    model = view.model()
    now = written_at(messages[1].created_at)

    question, reply = model.index(0, 0), model.index(1, 0)
    assert view.header_text(question) == ("You", now)  # a person's message: no model
    assert question.data(Qt.ItemDataRole.AccessibleTextRole) == f"You, {now}: Hello."
    name = model_name(LONG_MODEL)
    assert reply.data(MessageRole.Byline) == f"{name} · {now}"
    assert reply.data(Qt.ItemDataRole.AccessibleTextRole).startswith(
        f"Assistant, {name}, {now}: Hello.")

    # Too long for the line: shortened in the middle, so the time stays, and it ends before
    # the "‹" of the version control.
    title, byline = view.header_text(reply)
    assert title == "Assistant"
    assert "…" in byline and byline.endswith(now)
    controls = view.version_controls(reply)
    assert controls is not None
    bold = QFont(view.font())
    bold.setBold(True)
    start = view.visualRect(reply).x() + 2 * PADDING  # the bubble's and the header's
    end = (start + QFontMetrics(bold).horizontalAdvance(title + BYLINE_GAP)
           + QFontMetrics(view.font()).horizontalAdvance(byline))
    assert end < controls[0].x()
