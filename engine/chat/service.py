"""A chat turn from the store's point of view: what to send, what to save, and when.

`ChatService` joins the runtime to the store so the GUI worker and the CLI share one definition
of "send a message", "regenerate" and "edit a message", and of showing another version of a
message. It is plain Python and is used from the one thread that owns the runtime and the
store.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from engine.chat.engine import ChatEngine, chat_template, model_key
from engine.chat.prompt import ChatMessage, Role
from engine.chat.reasoning import (
    ReasoningChunk,
    ReasoningPart,
    ReasoningSplitter,
    ReasoningStyle,
    reasoning_style,
    split_reasoning,
    think_flag,
)
from engine.chat.repetition import finish_note
from engine.chat.store import AttachmentRecord, ChatRecord, ChatStore, MessageRecord, MessageStatus
from engine.config import AppConfig
from engine.documents import summary_prompts
from engine.documents.ask import CHAT_PASSAGES, Route, route_for, with_passages
from engine.documents.citing import checked, cited
from engine.documents.collections import DocumentIndex
from engine.documents.reading import Document
from engine.documents.retrieval import Hit, answers_nothing
from engine.errors import EngineCrashedError, HearthError
from engine.host.kv_states import ChatKvStates
from engine.host.local import LocalRuntime
from engine.host.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    PromptProgress,
    StreamEvent,
    TextChunk,
)
from engine.settings import ChatSettings
from engine.text import Text

SAVE_INTERVAL_S = 0.25  # how often a streaming reply's partial text reaches the database


@dataclass(frozen=True)
class ContextView:
    """Which stored messages the model sees: the kept head plus everything from `first_id`."""

    chat_id: int
    first_id: int | None  # None: the model sees the whole chat
    head_ids: tuple[int, ...]
    prompt_tokens: int
    evaluate_tokens: int


@dataclass(frozen=True)
class TurnStarted:
    """The turn passed planning and is saved: the chat as shown now, and the empty reply."""

    view: ContextView
    messages: list[MessageRecord]  # the chat as it now reads (its shown branch)
    reply: MessageRecord


@dataclass(frozen=True)
class TurnEnded:
    """The reply that now stands (None if there is none) and how the generation went."""

    reply: MessageRecord | None
    done: GenerationDone | None  # None when the turn was closed or failed before finishing
    # A regenerated reply is shown in place of the previous version (which stays a version).
    replaced: bool

    @property
    def note(self) -> Text | None:
        """What to tell the person about how the reply ended ("stopped: the model was
        repeating itself"), if anything."""
        return finish_note(self.done.finish_reason) if self.done is not None else None


# TextChunk: the answer as it grows; ReasoningChunk: the model's thinking before it.
ReplyEvent = TurnStarted | PromptProgress | ReasoningChunk | TextChunk | TurnEnded


@dataclass(frozen=True)
class Turn:
    """What the person asked for: a new message, a reply again, or an edited question.

    A regenerated reply and an edited question are new versions of the message `message_id`
    names (by default the last reply, or the last question), shown in its place; the messages
    that followed it stay with it. A new message may carry a document (counted in tokens by the
    loaded model). In a chat with a long document, `route` chooses the way the reply is
    answered (a regenerated reply "from the whole document instead"); None guesses it from the
    question's words."""

    kind: Literal["send", "regenerate", "edit"]
    text: str = ""
    document: Document | None = None
    document_tokens: int = 0
    route: Route | None = None
    message_id: int | None = None


def attach(store: ChatStore, message: MessageRecord, document: Document,
           tokens: int) -> AttachmentRecord:
    record = store.add_attachment(message.id, document.name, document.kind, document.size_bytes,
                                  tokens, document.text)
    context = summary_prompts.CONTEXT_WHOLE.format(name=f"“{document.name}”", text=document.text)
    store.set_attachment_context(record.id, context)
    return dataclasses.replace(record, context=context)


def with_documents(text: str, attachments: list[AttachmentRecord]) -> str:
    """A user message as the model reads it: its documents first, then what the person wrote."""
    return "\n\n".join([*(a.context for a in attachments), text])


class ChatService:
    def __init__(self, store: ChatStore, runtime: LocalRuntime,
                 engine: ChatEngine | None = None, *,
                 save_interval_s: float = SAVE_INTERVAL_S,
                 documents: DocumentIndex | None = None) -> None:
        self.store = store
        # The passages of documents too long to keep whole in a chat (engine/documents/turns.py
        # indexes them); None: follow-up questions get the part summaries only.
        self.documents = documents
        self.save_interval_s = save_interval_s
        self.local = runtime
        self.runtime: ChatEngine = engine or runtime  # replies come from it: local or remote
        self.kv_states = ChatKvStates(runtime)

    def use(self, engine: ChatEngine) -> None:
        """Answers from `engine` from now on (the local runtime, or a remote model)."""
        self.runtime = engine

    def answering_model(self) -> str | None:
        """The key of the model that writes replies now (None: none is loaded); each reply
        records it."""
        loaded = self.runtime.loaded
        return model_key(loaded) if loaded is not None else None

    def activate(self, chat_id: int) -> None:
        """Gives the chat the local model's live KV cache; a remote server keeps its own."""
        if self.runtime is self.local:
            self.kv_states.activate(chat_id)

    def chat_settings(self, chat: ChatRecord, config: AppConfig) -> ChatSettings:
        return config.chat_defaults.with_overrides(chat.settings)

    def think_flag(self, settings: ChatSettings) -> bool | None:
        """The chat's Think setting as the answering model's template takes it (None where the
        template has no thinking switch)."""
        return think_flag(chat_template(self.runtime.loaded), settings.thinking)

    def reasoning_style(self, settings: ChatSettings) -> ReasoningStyle:
        """How the answering model's replies mark their thinking, with this chat's settings."""
        return reasoning_style(chat_template(self.runtime.loaded), self.think_flag(settings))

    def reply(
        self, chat_id: int, config: AppConfig, cancel: threading.Event, turn: Turn
    ) -> Iterator[ReplyEvent]:
        """Streams the answer for one turn, saving it as it grows.

        The context is planned before anything is written, so a message refused for its length
        leaves the chat exactly as it was. A regenerated reply becomes a version only once it
        is complete: stopped or failed, it goes, and the version shown before is shown again.
        """
        # As the store will keep it, so the next turn's prompt starts with the same tokens.
        turn = dataclasses.replace(turn, text=turn.text.replace("\x00", ""))
        chat = self.store.get_chat(chat_id)
        stored = [m for m in self.store.messages(chat_id) if m.role != "system"]
        documents = self.store.attachments(chat_id)
        before, versioned = branch_point(stored, turn)
        # Replies go back as their answers: a model's earlier thinking is not sent again.
        history = _history_for(before, turn, documents, versioned)
        # A new document goes whole with its message; earlier ones too long to keep whole
        # give the passages that answer this question.
        question = turn.text if turn.kind != "regenerate" else next(
            (m.content for m in reversed(before) if m.role == "user"), "")
        given = self.passages_for(chat_id, question, turn.route) if turn.document is None else []
        route = self._route_taken(chat_id, turn, given)
        if given:
            history[-1] = (history[-1][0], with_passages(given, history[-1][1]))
        start_hint = next((i for i, m in enumerate(before) if m.id == chat.context_start_id), 0)
        settings = self.chat_settings(chat, config)
        think = self.think_flag(settings)
        messages = [ChatMessage(role, text) for role, text in history]
        messages[-1] = dataclasses.replace(messages[-1], think=think)
        request = GenerationRequest(
            messages=tuple(messages), settings=settings, start_hint=start_hint,
        )
        style = self.reasoning_style(settings)
        self.activate(chat_id)
        stream = self.runtime.stream(request, cancel)
        planned = next(stream)
        assert isinstance(planned, ContextPlanned)
        kept = self._apply_turn(chat_id, before, versioned, turn)
        replaced = versioned if turn.kind == "regenerate" else None
        first_id = kept[planned.first_index].id if planned.first_index else None
        self.store.set_context_start(chat_id, first_id)
        view = ContextView(
            chat_id=chat_id,
            first_id=first_id,
            head_ids=tuple(m.id for m in kept[: planned.head]),
            prompt_tokens=planned.prompt_tokens,
            evaluate_tokens=planned.evaluate_tokens,
        )
        # It answers the last message it was planned on: a regenerated reply is a sibling of
        # the version it regenerates, not its continuation.
        reply = self.store.add_message(chat_id, "assistant", "", status="streaming",
                                       parent_id=kept[-1].id, model=self.answering_model(),
                                       route=route)
        yield TurnStarted(view, [*kept, reply], reply)
        yield from self._save_as_it_streams(reply, stream, replaced, style, given)

    def passages_for(self, chat_id: int, question: str,
                     route: Route | None = None) -> list[Hit]:
        """The passages of the chat's long documents and of the collections attached to it
        that answer a detail question, as many as fit a quarter of the context; none for a
        question about the whole text (the part summaries serve it) or one no passage answers.

        `route` overrides the guess from the question's words: WHOLE gives none, PASSAGES the
        best found even where they seem not to answer it (the person asked for them, and the
        model is told to say when they do not)."""
        if self.documents is None or (route or route_for(question)) is Route.WHOLE:
            return []
        collections = self.documents.searched_for(chat_id)
        if not collections:
            return []
        hits = self.documents.search(collections, question, CHAT_PASSAGES)
        if route is None and answers_nothing(hits):
            return []
        # A quarter of the context at most, so the chat itself still fits beside them.
        loaded = self.runtime.loaded
        budget = (loaded.n_ctx if loaded is not None else 0) // 4
        given: list[Hit] = []
        for hit in hits:
            budget -= self.runtime.count_tokens(hit.text) + 16  # and its number and source
            if budget < 0:
                break
            given.append(hit)
        return given

    def _route_taken(self, chat_id: int, turn: Turn, given: list[Hit]) -> Route | None:
        """Which way a reply in a chat with a long document (one indexed for questions) is
        answered: from the passages it is given, else from the part summaries the chat keeps.
        None elsewhere, and for a message that brings its document whole. In a chat with
        collections attached but no long document of its own, the passages given, or None."""
        if turn.document is not None or self.documents is None:
            return None
        if self.documents.chat_collection_id(chat_id) is None:
            return Route.PASSAGES if given else None
        return Route.PASSAGES if given else Route.WHOLE

    def show_version(self, message_id: int, step: int) -> bool:
        """Shows the version `step` places after (before, when negative) the message among its
        versions, with that version's own continuation; False when there is none there."""
        versions = self.store.versions(message_id)
        place = versions.index(message_id) + step if message_id in versions else -1
        if not 0 <= place < len(versions) or step == 0:
            return False
        self.store.show_version(versions[place])
        return True

    def _apply_turn(
        self, chat_id: int, before: list[MessageRecord], versioned: MessageRecord | None,
        turn: Turn,
    ) -> list[MessageRecord]:
        """Writes the turn's question, if it has one; returns the messages the reply follows."""
        if turn.kind == "send":
            asked = self.store.add_message(chat_id, "user", turn.text)
            if turn.document is not None:
                attach(self.store, asked, turn.document, turn.document_tokens)
            return [*before, asked]
        if turn.kind == "edit" and versioned is not None:
            return [*before, self.store.add_message(chat_id, "user", turn.text,
                                                    parent_id=versioned.parent_id,
                                                    documents_of=versioned.id)]
        return before

    def _save_as_it_streams(
        self, reply: MessageRecord, stream: Iterator[StreamEvent], replaced: MessageRecord | None,
        style: ReasoningStyle, given: list[Hit],
    ) -> Iterator[ReplyEvent]:
        """Streams and saves the reply, its thinking apart from its answer, and the passages
        it cites of those it was `given`. A regeneration (of `replaced`) that does not finish
        is deleted, which shows `replaced` again."""
        text, saved_at, ended = "", time.monotonic(), False
        splitter = ReasoningSplitter(style)
        try:
            for event in stream:
                if isinstance(event, PromptProgress):
                    yield event
                elif isinstance(event, TextChunk):
                    text += event.text
                    if time.monotonic() - saved_at >= self.save_interval_s:
                        self.store.update_message(reply.id, splitter.answer,
                                                  reasoning=splitter.reasoning)
                        saved_at = time.monotonic()
                    # An empty chunk still goes out: it hands control back while text waits.
                    yield from _chunks(splitter.feed(event.text)) or [TextChunk("")]
                elif isinstance(event, GenerationDone):
                    yield from _chunks(splitter.finish())
                    reasoning, answer = split_reasoning(event.text, style)
                    stopped = event.finish_reason == "cancelled"
                    if stopped and replaced is not None:
                        self.store.delete_message(reply.id)
                        standing = replaced
                    else:
                        # A reply the loop guard cut is kept, and shown as stopped.
                        cut = stopped or event.finish_reason == "repetition"
                        status: MessageStatus = "stopped" if cut else "done"
                        figures = (event.generated_tokens, event.tokens_per_second or None)
                        if given:  # each citation checked against its sentence's words
                            answer = checked(answer, given)
                        citations = [c.to_json() for c in cited(answer, given)] if given else None
                        self.store.update_message(reply.id, answer, status, *figures,
                                                  reasoning=reasoning, citations=citations)
                        standing = self._record(reply)
                    ended = True
                    yield TurnEnded(standing, event,
                                    replaced=replaced is not None and standing is not replaced)
                    return
        except EngineCrashedError:
            # The engine died mid-reply: what was written stays, marked, unless it was a new
            # version of a reply (or nothing was written: an empty reply would go back to the
            # model in the next turn).
            if replaced is not None or not text:
                self.store.delete_message(reply.id)
            else:
                splitter.finish()
                self.store.update_message(reply.id, splitter.answer, status="error",
                                          reasoning=splitter.reasoning)
            raise
        except BaseException:
            # Closed early (app quitting, chat deleted) or failed: keep what was written, or
            # the version this one regenerated.
            if not ended:
                if replaced is not None or not text:
                    self.store.delete_message(reply.id)
                else:
                    splitter.finish()
                    self.store.update_message(reply.id, splitter.answer, status="stopped",
                                              reasoning=splitter.reasoning)
            raise

    def _record(self, message: MessageRecord) -> MessageRecord:
        return next(m for m in self.store.messages(message.chat_id) if m.id == message.id)


def _chunks(parts: list[ReasoningPart]) -> list[ReasoningChunk | TextChunk]:
    return [ReasoningChunk(part.text) if part.kind == "reasoning" else TextChunk(part.text)
            for part in parts]


def branch_point(
    stored: list[MessageRecord], turn: Turn
) -> tuple[list[MessageRecord], MessageRecord | None]:
    """The shown messages the turn follows, and the message it makes a new version of (None
    for a new message, or a reply to a question that has none)."""
    if turn.kind == "send":
        return stored, None
    wanted = "assistant" if turn.kind == "regenerate" else "user"
    if turn.message_id is not None:
        target = next((m for m in stored if m.id == turn.message_id), None)
        if target is None or target.role != wanted:
            raise HearthError("That message is not shown in this chat, or cannot be "
                              + ("regenerated." if wanted == "assistant" else "edited."))
    elif turn.kind == "regenerate":
        # The last reply; a question left without one (its reply stopped empty) is answered.
        target = stored[-1] if stored and stored[-1].role == "assistant" else None
        if target is None:
            return stored, None
    else:
        target = next((m for m in reversed(stored) if m.role == "user"), None)
        if target is None:
            raise HearthError(Text("There is no message to answer."))
    return stored[: stored.index(target)], target


def _history_for(
    before: list[MessageRecord], turn: Turn, documents: dict[int, list[AttachmentRecord]],
    versioned: MessageRecord | None = None,
) -> list[tuple[Role, str]]:
    """What the model is sent: the messages `before` the turn, then its question (a new one,
    or the new version of the question `versioned`)."""
    history: list[tuple[Role, str]] = [
        (m.role, with_documents(m.content, documents.get(m.id, []))) for m in before
    ]
    if turn.kind in ("send", "edit") and not turn.text.strip():
        raise HearthError(Text("The message is empty."))
    if turn.kind == "send":
        attached = []
        if turn.document is not None:
            attached.append(summary_prompts.CONTEXT_WHOLE.format(
                name=f"“{turn.document.name}”", text=turn.document.text))
        return [*history, ("user", "\n\n".join([*attached, turn.text]))]
    if turn.kind == "edit" and versioned is not None:  # the edited question keeps its documents
        history.append(("user", with_documents(turn.text, documents.get(versioned.id, []))))
    if not history or history[-1][0] != "user":
        raise HearthError(Text("There is no message to answer."))
    return history
