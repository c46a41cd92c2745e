"""A chat turn from the store's point of view: what to send, what to save, and when.

`ChatService` joins the runtime to the store so the GUI worker and the CLI share one definition
of "send a message", "regenerate" and "edit the last message". It is plain Python and is used
from the one thread that owns the runtime and the store.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from engine.config import AppConfig
from engine.errors import HearthError
from engine.kv_states import ChatKvStates
from engine.prompt import ChatMessage, Role
from engine.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    Runtime,
    StreamEvent,
    TextChunk,
)
from engine.settings import ChatSettings
from engine.store import ChatRecord, ChatStore, MessageRecord, MessageStatus

SAVE_INTERVAL_S = 0.25  # how often a streaming reply's partial text reaches the database


@dataclass(frozen=True)
class ContextView:
    """Which stored messages the model sees: the kept head plus everything from `first_id`."""

    chat_id: int
    first_id: int | None  # None: the model sees the whole chat
    head_ids: tuple[int, ...]
    prompt_tokens: int
    evaluate_tokens: int


class ChatService:
    def __init__(self, store: ChatStore, runtime: Runtime) -> None:
        self.store = store
        self.runtime = runtime
        self.kv_states = ChatKvStates(runtime)

    def chat_settings(self, chat: ChatRecord, config: AppConfig) -> ChatSettings:
        return config.chat_defaults.with_overrides(chat.settings)

    def reply(
        self,
        chat_id: int,
        config: AppConfig,
        cancel: threading.Event,
        turn: Turn,
    ) -> Iterator[ReplyEvent]:
        """Streams the answer for one turn, saving it as it grows.

        The context is planned before anything is written, so a message refused for its length
        leaves the chat exactly as it was.
        """
        chat = self.store.get_chat(chat_id)
        stored = [m for m in self.store.messages(chat_id) if m.role != "system"]
        history = _history_for(stored, turn)
        start_hint = next((i for i, m in enumerate(stored) if m.id == chat.context_start_id), 0)
        request = GenerationRequest(
            messages=tuple(ChatMessage(role, text) for role, text in history),
            settings=self.chat_settings(chat, config),
            start_hint=start_hint,
        )
        self.kv_states.activate(chat_id)
        stream = self.runtime.stream(request, cancel)
        planned = next(stream)
        assert isinstance(planned, ContextPlanned)
        kept = self._apply_turn(chat_id, stored, turn)
        first_id = kept[planned.first_index].id if planned.first_index else None
        self.store.set_context_start(chat_id, first_id)
        yield ContextView(
            chat_id=chat_id,
            first_id=first_id,
            head_ids=tuple(m.id for m in kept[: planned.head]),
            prompt_tokens=planned.prompt_tokens,
            evaluate_tokens=planned.evaluate_tokens,
        )
        reply = self.store.add_message(chat_id, "assistant", "", status="streaming")
        yield reply
        yield from self._save_as_it_streams(reply, stream)

    def _apply_turn(
        self, chat_id: int, stored: list[MessageRecord], turn: Turn
    ) -> list[MessageRecord]:
        """Writes the turn's change to the store; returns the chat's messages after it."""
        if stored and stored[-1].role == "assistant" and turn.kind != "send":
            self.store.delete_message(stored[-1].id)
            stored = stored[:-1]
        if turn.kind == "send":
            stored = [*stored, self.store.add_message(chat_id, "user", turn.text)]
        elif turn.kind == "edit":
            self.store.update_message(stored[-1].id, turn.text)
            stored = [*stored[:-1], dataclasses.replace(stored[-1], content=turn.text)]
        return stored

    def _save_as_it_streams(
        self, reply: MessageRecord, stream: Iterator[StreamEvent]
    ) -> Iterator[ReplyEvent]:
        text, saved_at, finished = "", time.monotonic(), False
        try:
            for event in stream:
                if isinstance(event, TextChunk):
                    text += event.text
                    if time.monotonic() - saved_at >= SAVE_INTERVAL_S:
                        self.store.update_message(reply.id, text)
                        saved_at = time.monotonic()
                    yield event
                elif isinstance(event, GenerationDone):
                    status: MessageStatus = (
                        "stopped" if event.finish_reason == "cancelled" else "done"
                    )
                    self.store.update_message(
                        reply.id, event.text, status=status,
                        n_tokens=event.generated_tokens,
                        tokens_per_s=event.tokens_per_second or None,
                    )
                    finished = True
                    yield event
                    return
        except BaseException:
            # Closed early (app quitting, chat deleted) or failed: keep what was written.
            if not finished:
                self.store.update_message(reply.id, text, status="stopped" if text else "error")
            raise


ReplyEvent = ContextView | MessageRecord | TextChunk | GenerationDone


@dataclass(frozen=True)
class Turn:
    """What the person asked for: a new message, the last reply again, or an edited question."""

    kind: Literal["send", "regenerate", "edit"]
    text: str = ""


def _history_for(stored: list[MessageRecord], turn: Turn) -> list[tuple[Role, str]]:
    history: list[tuple[Role, str]] = [(m.role, m.content) for m in stored]
    if turn.kind in ("send", "edit") and not turn.text.strip():
        raise HearthError("The message is empty.")
    if turn.kind == "send":
        return [*history, ("user", turn.text)]
    if history and history[-1][0] == "assistant":
        history = history[:-1]
    if not history or history[-1][0] != "user":
        raise HearthError("There is no message to answer.")
    if turn.kind == "edit":
        history[-1] = ("user", turn.text)
    return history
