"""The engine's messages in the window's language: translated from the "engine" catalog, numbers
in the locale's format (desktop/engine_texts.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTranslator
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageListModel
from desktop.engine_texts import say, sentence
from desktop.settings.form import refused_text
from engine.chat.export import chat_to_markdown
from engine.chat.repetition import finish_sentence
from engine.chat.store import ChatRecord, MessageRecord
from engine.chat.templates import TemplateDecision, TemplateOrigin, continuation_note
from engine.config import AppConfig, load_config
from engine.documents.summarize import SummaryDone, SummaryOptions
from engine.documents.turns import summary_request
from engine.errors import HearthError, ModelError, SettingsError
from engine.settings import (
    SAMPLING_FIELDS,
    ChatSettings,
)
from engine.text import Text
from tests.desktop.conftest import WindowFactory, tiny_context_config

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "assets" / "translations" / "hearth_engine_zh_CN.ts"
REPLY_TIMEOUT_MS = 60_000


@pytest.fixture
def chinese(tmp_path: Path) -> Iterator[QLocale]:
    """The engine's Chinese translations installed (the .ts compiled by lrelease here), and
    Chinese the default locale."""
    qm = tmp_path / "hearth_engine_zh_CN.qm"
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(CATALOG), "-qm", str(qm)], check=True)
    translator = QTranslator()
    assert translator.load(str(qm))
    app = QCoreApplication.instance()
    assert app is not None
    app.installTranslator(translator)
    before = QLocale()
    locale = QLocale(QLocale.Language.Chinese, QLocale.Country.China)
    QLocale.setDefault(locale)
    try:
        yield locale
    finally:
        QLocale.setDefault(before)
        app.removeTranslator(translator)


def test_say_translates_nested_messages_and_formats_numbers(
    qapp: QCoreApplication, chinese: QLocale
) -> None:
    inner = ModelError(Text("{file} is not a GGUF model file", file="notes.gguf"))
    error = ModelError(Text("llama.cpp could not load {file}: {error}", file="notes.gguf",
                            error=inner))
    assert say(error) == "llama.cpp 无法加载 notes.gguf：notes.gguf 不是 GGUF 模型文件"
    too_big = Text("The prompt is {tokens:,} tokens; the context window holds {context_size:,} "
                   "with the reply.", tokens=12345, context_size=4096)
    assert say(too_big) == "提示词有 12,345 个词元；上下文窗口连同回复只能容纳 4,096 个。"
    assert say(HearthError("Plain English passes through.")) == "Plain English passes through."
    assert say(Text("{size:.1f} GB", size=4.24)) == "4.2 GB"
    # The numbers follow the locale (German here), the words the installed translation.
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    assert say(too_big) == "提示词有 12.345 个词元；上下文窗口连同回复只能容纳 4.096 个。"
    assert say(Text("{size:.1f} GB", size=4.24)) == "4,2 GB"


@pytest.fixture
def test_config() -> AppConfig:
    return tiny_context_config()


def test_a_message_too_long_is_refused_in_chinese(
    qtbot: QtBot, chinese: QLocale, open_window: WindowFactory
) -> None:
    window = open_window()
    long_text = "The river carried leaves and stones past the old mill. " * 160
    with qtbot.waitSignal(window.client.turnRefused, timeout=REPLY_TIMEOUT_MS) as refused:
        window.chat_panel.composer.setPlainText(long_text)
        qtbot.keyClick(window.chat_panel.composer, Qt.Key.Key_Return)
    reason = refused.args[3]
    shown = window.chat_panel.banner.text()
    assert reason in shown or shown in reason
    match = re.fullmatch(r"这条消息连同系统提示词有 (\S+) 个词元，但上下文窗口在回复之前只留出 "
                         r"(\S+) 个。请缩短它，或在“设置”中提高上下文长度。", reason)
    assert match is not None, reason
    tokens, budget = (chinese.toInt(number)[0] for number in match.groups())
    assert tokens > 1000 and match.group(1) == chinese.toString(tokens)  # "1,234"
    assert 0 < budget < 256


def test_a_summary_note_is_shown_in_chinese_and_exported_in_english(
    qapp: QCoreApplication, chinese: QLocale
) -> None:
    note = SummaryDone("The summary.", parts=5, document_tokens=12345, seconds=40.2,
                       cancelled=False, part_summaries=(), context="", steps=6,
                       prompt_tokens=0, evaluated_tokens=0, generated_tokens=0).note
    reply = MessageRecord(1, 1, "assistant", "The summary.", 0.0, "done", None, None, note=note)
    messages = MessageListModel()
    messages.set_messages(1, [reply])
    shown = messages.index(0).data()
    assert shown == ("The summary.\n\n*由文档的 5 个部分（12,345 个词元）生成，用时 40 秒。*")
    assert "由文档的 5 个部分" in messages.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    chat = ChatRecord(1, "Speech", 0.0, 0.0, {}, None, None)
    assert chat_to_markdown(chat, [reply]).endswith(
        "The summary.\n\n*Made from 5 parts of the document (12,345 tokens) in 40 s.*\n")


def test_a_summary_request_and_its_steps_are_in_chinese(
    qapp: QCoreApplication, chinese: QLocale
) -> None:
    # What the person's side of a summary turn says, kept as the window words it, and the
    # steps its progress row shows.
    assert say(summary_request("报告.txt", SummaryOptions(words=30))) == \
        "用大约 30 个词总结“报告.txt”。"
    reading = Text("Reading {tokens:,} tokens in {parts} parts…", tokens=12345, parts=5)
    assert say(reading) == "正在分 5 部分读取 12,345 个词元…"


def test_a_settings_file_set_aside_is_told_in_chinese(
    qapp: QCoreApplication, chinese: QLocale, tmp_path: Path
) -> None:
    broken = tmp_path / "settings.json"
    broken.write_text("{not json")
    notice = load_config(broken).notice
    assert notice is not None
    said = say(notice)
    assert said.startswith("设置已恢复为默认值：") and said.endswith("。")
    assert f"旧文件已保存为 {tmp_path / 'settings.json.broken'}" in said
    assert str(notice).startswith("Settings were reset to defaults: ")  # the CLI's English


def test_the_banners_and_a_refused_setting_are_in_chinese(
    qapp: QCoreApplication, chinese: QLocale
) -> None:
    repetition = finish_sentence("repetition")
    assert repetition is not None and say(repetition) == "已停止：模型在重复自己。"
    base = TemplateDecision("continuation", TemplateOrigin.PERSON, "", "chosen by you")
    assert say(continuation_note("base.gguf", base, "x")) == (
        "按你的选择，base.gguf 不使用对话模板：它会续写你的文字，而不是回答。")
    temperature = next(spec for spec in SAMPLING_FIELDS if spec.name == "temperature")
    _value, refused = temperature.parse("2.5")
    assert refused is not None and str(refused) == "Temperature must be between 0 and 2"
    # The setting's name as the settings list shows it (its own "settings" translations).
    assert refused_text(temperature, refused) == "“Temperature”必须介于 0 和 2 之间"
    assert sentence(Text("must be true or false")) == "必须是 true 或 false。"
    with pytest.raises(SettingsError) as raised:
        ChatSettings().with_overrides({"thinking": "yes"})
    assert str(raised.value) == "thinking: must be true or false"
    assert say(raised.value) == "thinking：必须是 true 或 false"
