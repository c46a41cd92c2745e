"""Prompt Lab presets in a chat, on the real model and a real chat database: a free-text preset
answers as the search generated its answers; a classification preset answers each message with
the label and confidence `classify` gives, on its own copy of the preset."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import pytest

from engine.chat.engine import model_key
from engine.chat.service import ChatService, ReplyEvent, Turn, TurnEnded, TurnStarted
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.documents.reading import pasted_document
from engine.errors import HearthError
from engine.host.runtime import Runtime
from engine.paths import app_paths
from engine.prompt_lab.calibration import Calibration
from engine.prompt_lab.evaluate import GREEDY, Evaluator
from engine.prompt_lab.fingerprint import model_fingerprint
from engine.prompt_lab.in_chat import classification_reply, preset_turn, start_preset_chat
from engine.prompt_lab.preset import LabPreset, classify
from engine.prompt_lab.prompts import Demo, PromptFormat, PromptSpec
from engine.prompt_lab.scorer import Scorer
from engine.prompt_lab.storage import LabStore
from engine.prompt_lab.tasks import Metric, TaskKind


@pytest.fixture
def store() -> Iterator[ChatStore]:
    opened = ChatStore(app_paths().ensure().database)
    yield opened
    opened.close()


def _preset(runtime: Runtime, kind: TaskKind, spec: PromptSpec, **changes: object) -> LabPreset:
    loaded = runtime.loaded
    assert loaded is not None
    preset = LabPreset(
        name="Tuned", task_name="Task", kind=kind,
        metric=Metric.ACCURACY if kind is TaskKind.CLASSIFICATION else Metric.EXACT,
        spec=spec, labels=("pos", "neg") if kind is TaskKind.CLASSIFICATION else (),
        calibration=Calibration.NONE, bias=(), sampling=GREEDY, max_tokens=16,
        model_name=loaded.name, model_fingerprint=model_fingerprint(loaded.path), run_id="run",
        test_score=0.75, test_n=8, validation_score=0.8,
    )
    return dataclasses.replace(preset, **changes)  # type: ignore[arg-type]


def _drain(events: Iterator[ReplyEvent]) -> list[ReplyEvent]:
    return list(events)


def test_a_free_text_preset_chat_answers_as_the_search_generated(
    runtime: Runtime, store: ChatStore
) -> None:
    spec = PromptSpec(PromptFormat.CHAT, "Reply with the date in the note only.",
                      (Demo("Lunch with Ann on 3 May.", "3 May"),
                       Demo("The boiler is serviced on 12 June.", "12 June")))
    preset = _preset(runtime, TaskKind.FREE_TEXT, spec)
    lab = LabStore.at(app_paths())
    chat = start_preset_chat(store, lab, preset, runtime)
    stored = store.messages(chat.id)
    assert [m.role for m in stored] == ["system", "user", "assistant", "user", "assistant"]
    assert "Prompt Lab preset “Tuned”" in stored[0].content
    assert [m.content for m in stored[1:]] == ["Lunch with Ann on 3 May.", "3 May",
                                               "The boiler is serviced on 12 June.", "12 June"]
    settings = AppConfig().chat_defaults.with_overrides(chat.settings)
    assert settings.system_prompt == spec.instruction
    assert settings.sampling == dataclasses.replace(GREEDY, max_tokens=16)

    text = "Dentist appointment on 9 July at noon."
    expected = Evaluator(Scorer(runtime)).generate(spec, text, 16, threading.Event())
    assert preset_turn(store, runtime, lab, chat.id, Turn("send", text)) is None
    events = _drain(ChatService(store, runtime).reply(chat.id, AppConfig(), threading.Event(),
                                                      Turn("send", text)))
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert ended.reply.content.strip() == expected


def test_a_classification_preset_chat_answers_with_the_label_and_its_confidence(
    runtime: Runtime, store: ChatStore
) -> None:
    spec = PromptSpec(PromptFormat.PLAIN, "Is the review good or bad?",
                      (Demo("Loved it.", "good"), Demo("Hated it.", "bad")), ("good", "bad"))
    preset = _preset(runtime, TaskKind.CLASSIFICATION, spec,
                     calibration=Calibration.CONTEXTUAL, bias=(0.3, -0.3))
    lab = LabStore.at(app_paths())
    chat = start_preset_chat(store, lab, preset, runtime)
    assert [m.role for m in store.messages(chat.id)] == ["system"]  # demos stay in the preset
    lab.delete_preset(preset.name)  # the chat has its own copy

    def turn(kind: str, text: str = "") -> list[ReplyEvent]:
        events = preset_turn(store, runtime, lab, chat.id, Turn(kind, text))  # type: ignore[arg-type]
        assert events is not None
        return _drain(events)

    events = turn("send", "A dreary, tedious mess.")
    assert isinstance(events[0], TurnStarted)
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    found = classify(runtime, preset, "A dreary, tedious mess.")
    assert ended.reply.content == classification_reply(found)
    assert found.label in preset.labels and 0.5 <= found.confidence <= 1.0

    again = turn("regenerate")[-1]
    assert isinstance(again, TurnEnded) and again.replaced and again.reply is not None
    assert again.reply.content == ended.reply.content
    assert [m.role for m in store.messages(chat.id)] == ["system", "user", "assistant"]
    system, asked, answer = store.messages(chat.id)
    assert (asked.parent_id, answer.parent_id) == (system.id, asked.id)
    assert runtime.loaded is not None and answer.model == model_key(runtime.loaded)

    edited = turn("edit", "A warm, funny delight.")[-1]
    assert isinstance(edited, TurnEnded) and edited.reply is not None
    assert edited.reply.content == classification_reply(
        classify(runtime, preset, "A warm, funny delight."))
    assert [m.content for m in store.messages(chat.id)][1:] == [
        "A warm, funny delight.", edited.reply.content]

    with pytest.raises(HearthError, match="attach documents in an ordinary chat"):
        _drain(preset_turn(store, runtime, lab, chat.id,  # type: ignore[arg-type]
                           Turn("send", "And this?", pasted_document("Some text."), 3)))
    with pytest.raises(HearthError, match="The message is empty"):
        turn("send", "  ")
    assert len(store.messages(chat.id)) == 3  # a refused turn writes nothing
