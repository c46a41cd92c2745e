"""A Prompt Lab preset in a chat, reading exactly what the search scored.

A free-text preset becomes an ordinary chat: the instruction is its system prompt, the demos are
its first exchanges, and it answers greedily, as the search did when it generated answers (the
same `chat_request`). A classification preset answers each message with the label the search
would pick and its confidence, by scoring the label words with the preset's calibration (no
sampling). The chat keeps its own copy of such a preset beside the Prompt Lab's files, so it
keeps answering the same way if the preset is replaced or deleted, or the chat's settings edited.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

from engine.chat.engine import ChatEngine, model_key
from engine.chat.service import (
    ContextView,
    ReplyEvent,
    Turn,
    TurnEnded,
    TurnStarted,
    branch_point,
)
from engine.chat.store import ChatRecord, ChatStore, MessageRecord
from engine.errors import HearthError, PromptLabError
from engine.host.local import LocalRuntime
from engine.host.runtime import TextChunk
from engine.prompt_lab.atomic import write_text_atomic
from engine.prompt_lab.evaluate import chat_request
from engine.prompt_lab.preset import (
    Classification,
    LabPreset,
    classify,
    model_warning,
    prompt_tokens,
)
from engine.prompt_lab.storage import LabStore
from engine.prompt_lab.tasks import TaskKind
from engine.text import Text

BINDINGS_FOLDER = "chats"  # <chat id>.json: the classification preset a chat answers with
NEEDS_LOCAL = ("A classification preset answers with the model's log-probabilities of its labels, "
               "which only a local model gives: pick a local model to use it.")


def start_preset_chat(
    store: ChatStore, lab: LabStore, preset: LabPreset, runtime: ChatEngine
) -> ChatRecord:
    """A new chat that uses the preset on the loaded model; its first message (role "system",
    never sent to the model) says what the chat does, and warns if the preset was tuned on
    another model."""
    loaded = runtime.loaded
    if preset.kind is TaskKind.CLASSIFICATION and not isinstance(runtime, LocalRuntime):
        raise PromptLabError(NEEDS_LOCAL)
    request = chat_request(preset.spec, "", preset.sampling, preset.max_tokens)
    settings = {
        "system_prompt": request.settings.system_prompt,
        "sampling": dataclasses.asdict(request.settings.sampling),
    }
    chat = store.create_chat(title=preset.name, settings=settings,
                             model=model_key(loaded) if loaded else None)
    warning = model_warning(runtime, preset)
    store.add_message(chat.id, "system",
                      introduction(preset) + (f"\n\n⚠ {warning}" if warning else ""))
    if preset.kind is TaskKind.CLASSIFICATION:
        text = json.dumps(preset.to_dict(), ensure_ascii=False, indent=1) + "\n"
        write_text_atomic(_binding(lab, chat.id), text)
    else:
        for message in request.messages[:-1]:
            assert message.role != "tool"  # a preset's demos are turns of a plain chat
            store.add_message(chat.id, message.role, message.content)
    return store.get_chat(chat.id)


def introduction(preset: LabPreset) -> str:
    """What a preset chat says about itself before the first message."""
    measured = (f" Held-out score {preset.test_score:.0%} on {preset.test_n} examples."
                if preset.test_score is not None else "")
    head = f"Prompt Lab preset “{preset.name}”, tuned on {preset.model_name}.{measured}"
    if preset.kind is TaskKind.CLASSIFICATION:
        return (f"{head} Each message is classified as one of: {', '.join(preset.labels)}, "
                "with the model's confidence, exactly as in the Prompt Lab.")
    demos = len(preset.spec.demos)
    shown = f" and its {demos} example{'s' if demos != 1 else ''} below" if demos else ""
    return f"{head} The model reads the tuned instruction{shown}, and answers without sampling."


def classification_reply(found: Classification) -> str:
    return f"**{found.label}** · confidence {found.confidence:.0%}"


def preset_turn(
    store: ChatStore, runtime: ChatEngine, lab: LabStore, chat_id: int, turn: Turn
) -> Iterator[ReplyEvent] | None:
    """The turn's events when the chat classifies with a preset, else None (an ordinary turn).

    The events are those of `ChatService.reply`; checks that refuse the turn run at the first
    step, before anything is written.
    """
    path = _binding(lab, chat_id)
    if not path.is_file():
        return None
    try:
        preset = LabPreset.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PromptLabError(Text("This chat's preset could not be read: {error}",
                                  error=error)) from None
    if not isinstance(runtime, LocalRuntime):
        raise PromptLabError(NEEDS_LOCAL)
    return _classify_turn(store, runtime, chat_id, turn, preset)


def _classify_turn(
    store: ChatStore, runtime: LocalRuntime, chat_id: int, turn: Turn, preset: LabPreset
) -> Iterator[ReplyEvent]:
    if turn.document is not None:
        raise HearthError(Text("This chat classifies the text of each message; attach documents "
                               "in an ordinary chat."))
    if turn.kind != "regenerate" and not turn.text.strip():
        raise HearthError(Text("The message is empty."))
    stored = [m for m in store.messages(chat_id) if m.role != "system"]
    before, versioned = branch_point(stored, turn)
    if turn.kind == "regenerate" and not (before and before[-1].role == "user"):
        raise HearthError(Text("There is no message to answer."))
    if turn.kind == "send":
        asked = store.add_message(chat_id, "user", turn.text)
    elif turn.kind == "edit" and versioned is not None:  # a new version of the question
        asked = store.add_message(chat_id, "user", turn.text, parent_id=versioned.parent_id)
    else:
        asked = before[-1]
    tokens = len(prompt_tokens(runtime, preset, asked.content))
    # A regenerated label is a new version of the last, shown in its place once it is written.
    reply = store.add_message(chat_id, "assistant", "", status="streaming", parent_id=asked.id,
                              model=model_key(runtime.loaded) if runtime.loaded else None)
    try:
        yield TurnStarted(ContextView(chat_id, None, (), tokens, tokens),
                          store.messages(chat_id), reply)
        text = classification_reply(classify(runtime, preset, asked.content))
        store.update_message(reply.id, text, "done")
    except BaseException:
        store.delete_message(reply.id)  # closed or failed: a regenerated label keeps the last
        raise
    yield TextChunk(text)
    yield TurnEnded(_message(store, reply), None,
                    replaced=turn.kind == "regenerate" and versioned is not None)


def _message(store: ChatStore, message: MessageRecord) -> MessageRecord:
    return next(m for m in store.messages(message.chat_id) if m.id == message.id)


def _binding(lab: LabStore, chat_id: int) -> Path:
    return lab.root / BINDINGS_FOLDER / f"{chat_id}.json"
