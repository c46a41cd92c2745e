"""Documents in a chat: a summary turn, and what later turns are given of an attached document.

A summary turn is saved like any reply: the person's request (with the document attached) and
the answer as it streams, so a Stop, a crash or a closed app keeps what was written. The
attachment then holds what follow-up questions need: the whole text when it fits, else the
summaries of its parts, and then the document is indexed in the chat's collection too, so a
question about a detail is answered from the passages that hold it (engine/chat/service.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from engine.chat.service import (
    SAVE_INTERVAL_S,
    ChatService,
    ContextView,
    TurnEnded,
    TurnStarted,
    attach,
)
from engine.chat.store import MessageStatus
from engine.documents.reading import Document
from engine.documents.summarize import (
    PartStarted,
    SummaryDone,
    SummaryForm,
    SummaryOptions,
    SummaryPlanned,
    SummaryProgress,
    SummaryText,
    summarize,
)
from engine.text import Text


@dataclass(frozen=True)
class SummaryStatus:
    """Where a summary is, as a person reads it: "Part 3 of 12", a fraction and time left."""

    text: Text | None  # the window words it in its language; None: the same step goes on
    fraction: float
    seconds_left: float | None


def summary_request(name: str, options: SummaryOptions) -> Text:
    """The person's side of a summary turn, as the chat shows and keeps it."""
    if options.words is not None:
        return Text("Summarise “{name}” in about {words} words.", name=name, words=options.words)
    if options.form == SummaryForm.BULLETS:
        return Text("Summarise “{name}” as key points.", name=name)
    return Text("Summarise “{name}” in a short paragraph.", name=name)


def summary_turn(
    service: ChatService, chat_id: int, document: Document, tokens: int,
    options: SummaryOptions, cancel: threading.Event, wording: Callable[[Text], str] = str,
) -> Iterator[TurnStarted | SummaryStatus | TurnEnded | str]:
    """Summarises `document` into the chat: TurnStarted, then status and text (str) as they
    come, then TurnEnded. Options and the model are checked before anything is saved. The
    person's request is kept as `wording` words it: the window's language, the English here."""
    options.check()
    store = service.store
    service.activate(chat_id)
    events = summarize(service.runtime, document, options, cancel)
    first = next(events)  # counts the document: refusals come here, before any change
    question = store.add_message(chat_id, "user",
                                 wording(summary_request(document.name, options)))
    attachment = attach(store, question, document, tokens)
    reply = store.add_message(chat_id, "assistant", "", status="streaming",
                              model=service.answering_model())
    kept = [m for m in store.messages(chat_id) if m.role != "system" and m.id != reply.id]
    # A summary reads the document in its own prompts, not in the chat's context window.
    view = ContextView(chat_id, None, (), 0, 0)
    yield TurnStarted(view, [*kept, reply], reply)
    text, saved_at, ended, fraction = "", time.monotonic(), False, 0.0
    try:
        for event in _chain(first, events):
            if isinstance(event, SummaryText) and event.stage == "final":
                text += event.text
                if time.monotonic() - saved_at >= SAVE_INTERVAL_S:
                    store.update_message(reply.id, text)
                    saved_at = time.monotonic()
                yield event.text
            elif isinstance(event, SummaryPlanned):
                reading = (Text("Reading {tokens:,} tokens in one pass…",
                                tokens=event.document_tokens) if event.parts == 1 else
                           Text("Reading {tokens:,} tokens in {parts} parts…",
                                tokens=event.document_tokens, parts=event.parts))
                yield SummaryStatus(reading, 0.0, None)
            elif isinstance(event, PartStarted):
                yield SummaryStatus(_step_text(event), fraction, None)
            elif isinstance(event, SummaryProgress):
                fraction = event.fraction
                yield SummaryStatus(None, fraction, event.seconds_left)
            elif isinstance(event, SummaryDone):
                if event.parts > 1 and not event.cancelled:
                    yield from _index_for_questions(service, chat_id, document, attachment.id)
                status: MessageStatus = ("error" if event.crashed else
                                         "stopped" if event.cancelled else "done")
                # The note is the message's own field: the window words it in its language.
                store.update_message(reply.id, event.text, status=status, note=event.note)
                store.set_attachment_context(attachment.id, event.context)
                ended = True
                standing = next(m for m in store.messages(chat_id) if m.id == reply.id)
                yield TurnEnded(standing, None, replaced=False)
                return
    except BaseException:
        if not ended:
            if text:
                store.update_message(reply.id, text, status="stopped")
            else:
                store.delete_message(reply.id)
        raise


def _index_for_questions(service: ChatService, chat_id: int, document: Document,
                         attachment_id: int) -> Iterator[SummaryStatus]:
    """A document too long to keep whole is indexed in the chat's collection, so a question
    about a detail gets the passages that answer it, not only the part summaries."""
    if service.documents is None:
        return
    collection = service.documents.chat_collection(chat_id).id
    text = Text("Preparing the document for questions…")
    for fraction in service.documents.index_document(collection, document,
                                                     f"attachment {attachment_id}"):
        yield SummaryStatus(text, fraction, None)


def _step_text(event: PartStarted) -> Text:
    if event.stage == "part":
        return Text("Summarising part {index} of {count}", index=event.index, count=event.count)
    if event.stage == "combine":
        return Text("Combining summaries ({index} of {count})", index=event.index,
                    count=event.count)
    return Text("Writing the summary")


def _chain(first: object, rest: Iterator[object]) -> Iterator[object]:
    yield first
    yield from rest
