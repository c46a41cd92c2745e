"""The messages of the open chat: a Qt list model the chat view draws and streams into.

A reply's thinking (its reasoning) streams into the same row, apart from its answer. Whether a
row's thinking is shown expanded is the model's state (`MessageRole.ReasoningExpanded`, set
with `setData`), kept by message id so that it survives the chat being shown again.

A message with versions (an edited question, a regenerated reply) says which it is, "2/3"; the
chat shows one branch of versions, as the engine reads it.

Each message is signed (`MessageRole.Byline`): by the model that wrote it, for a reply, and with
the time it was written, as the system locale writes times ("14:02"; a short date before it on
another day). A screen reader hears the same after the speaker.

A reply that cites passages of a document ("[1]") is displayed with its markers as links and a
"Sources" block under it (`cited_markdown`); a quotation in it that the cited passages do not
hold word for word is followed by a note saying so. A reply about a long document ends with a
line saying which way it was answered, from passages or from the whole document; under the last
reply the line offers the other way, as a link. The stored text, which Copy copies, is untouched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QCoreApplication,
    QDate,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from desktop.chat.link_opener import passage_link, route_link
from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from engine.chat.service import ContextView
from engine.chat.store import MessageRecord
from engine.documents.citing import unverified_quotes
from engine.documents.route import Route
from engine.models.files import SPLIT_NAME
from engine.models.library import QUANT_IN_NAME
from engine.remote.keys import REMOTE_PREFIX, is_remote_key

_Index = QModelIndex | QPersistentModelIndex

SPEAKERS = {"user": QT_TRANSLATE_NOOP("chat.message_model", "You"), "assistant": QT_TRANSLATE_NOOP(
                                                            "chat.message_model", "Assistant"),
            "system": QT_TRANSLATE_NOOP("chat.message_model", "System")}


class MessageRole(IntEnum):
    Id = Qt.ItemDataRole.UserRole + 1
    Speaker = Qt.ItemDataRole.UserRole + 2  # "user" | "assistant" | "system"
    Status = Qt.ItemDataRole.UserRole + 3
    InView = Qt.ItemDataRole.UserRole + 4  # the model still sees this message
    ViewStartsHere = Qt.ItemDataRole.UserRole + 5  # first seen message after dropped ones
    Revision = Qt.ItemDataRole.UserRole + 6  # bumps when the text changes, for render caches
    Reasoning = Qt.ItemDataRole.UserRole + 7  # the reply's thinking ("" for none)
    ReasoningExpanded = Qt.ItemDataRole.UserRole + 8  # its section is open (settable)
    ReasoningLabel = Qt.ItemDataRole.UserRole + 9  # "Thinking…", "Thought for 12 s"
    ReasoningRevision = Qt.ItemDataRole.UserRole + 10  # bumps when the thinking changes
    Sources = Qt.ItemDataRole.UserRole + 11  # the passages the reply cites: tuple[Source, ...]
    # Its quotations that the passages it cites do not hold word for word: tuple[str, ...]
    Unverified = Qt.ItemDataRole.UserRole + 12
    Versions = Qt.ItemDataRole.UserRole + 13  # (its version, how many): (2, 3) shows "2/3"
    # Who wrote it and when, after the speaker: "SmolLM2-135M-Instruct · 14:02" for a reply
    Byline = Qt.ItemDataRole.UserRole + 14


def version_text(version: int, versions: int) -> str:
    """What a message's versions are called aloud: "Version 2 of 3"."""
    return (QCoreApplication.translate("chat.message_model", "Version {version} of {versions}")
            .format(version=version, versions=versions))


def model_name(key: str) -> str:
    """The model a reply names as its writer: a remote model's id, a local file's name without
    its quantization or split part ("SmolLM2-135M-Instruct" for SmolLM2-135M-Instruct.Q4_1.gguf).
    `key` is as replies record it (engine.chat.engine.model_key)."""
    if is_remote_key(key):
        return key.removeprefix(REMOTE_PREFIX).partition("/")[2] or key
    file_name = PurePath(key).name
    split = SPLIT_NAME.match(file_name)
    stem = split.group("base") if split else PurePath(file_name).stem
    quant = QUANT_IN_NAME.search(stem)
    if quant is None:
        return stem
    short = f"{stem[:quant.start()].rstrip('-._ ')}{stem[quant.end():]}".strip("-._ ")
    return short or stem  # a file named only by its quantization keeps it


def written_at(created_at: float, today: QDate | None = None) -> str:
    """When a message was written, in the system locale's short format: the time alone on the
    day it was written (`today`, by default the date now), the date and time on another."""
    when = QDateTime.fromMSecsSinceEpoch(round(created_at * 1000))  # local time
    locale = QLocale.system()
    if when.date() == (today or QDate.currentDate()):
        return locale.toString(when.time(), QLocale.FormatType.ShortFormat)
    return locale.toString(when, QLocale.FormatType.ShortFormat)


def byline(record: MessageRecord) -> tuple[str, ...]:
    """What signs a message: the model that wrote it (a reply's), then when."""
    model = (model_name(record.model),) if record.model else ()
    return (*model, written_at(record.created_at))


THINKING_LABEL = QT_TRANSLATE_NOOP("chat.message_model", "Thinking…")


def thought_label(seconds: float | None, estimated: bool = False) -> str:
    """"Thought for 12 s" (measured), "Thought for about 12 s" (estimated from the reply's
    speed), or "Thought" when there is no figure."""
    if seconds is None:
        return QCoreApplication.translate("chat.message_model", "Thought")
    if seconds < 1:
        return QCoreApplication.translate("chat.message_model", "Thought for less than a second")
    about = "about " if estimated else ""
    if seconds < 90:
        return QCoreApplication.translate("chat.message_model", "Thought for {about}{seconds} "
                                                                "s").format(about=about,
                                                                        seconds=round(seconds))
    return (QCoreApplication.translate("chat.message_model", "Thought for {about}{value} min")
            .format(about=about, value=round(seconds / 60)))


def estimated_thought_seconds(record: MessageRecord) -> float | None:
    """How long a stored reply thought: its generation time, shared out by characters between
    thinking and answer (the time itself is not stored)."""
    if not record.reasoning or not record.n_tokens or not record.tokens_per_s:
        return None
    share = len(record.reasoning) / (len(record.reasoning) + len(record.content))
    return record.n_tokens / record.tokens_per_s * share


SOURCES_HEADING = QT_TRANSLATE_NOOP("chat.message_model", "Sources")


@dataclass(frozen=True)
class Source:
    """A passage a reply cites as "[number]" (one of `MessageRecord.citations`)."""

    message_id: int
    number: int
    file: str
    page: int | None
    line: int
    text: str

    @property
    def where(self) -> str:
        """"report.pdf, page 27, line 143" (no page for a document without pages)."""
        page = (QCoreApplication.translate("Source", ", page {page}")
                .format(page=self.page) if self.page is not None else "")
        return (QCoreApplication.translate("Source", "{file}{page}, line {line}")
                .format(file=self.file, page=page, line=self.line))

    @property
    def link(self) -> str:
        return passage_link(self.message_id, self.number)


def sources_of(record: MessageRecord) -> tuple[Source, ...]:
    """The record's citations, each number once; one that cannot be read is left out."""
    sources: dict[int, Source] = {}
    for citation in record.citations:
        try:
            number = int(citation["number"])
            page = citation.get("page")
            source = Source(record.id, number, str(citation.get("file") or "document"),
                            None if page is None else int(page), int(citation.get("line") or 0),
                            str(citation.get("text") or ""))
        except (KeyError, TypeError, ValueError):
            continue
        sources.setdefault(number, source)
    return tuple(sources.values())


def unverified_of(record: MessageRecord) -> tuple[str, ...]:
    """The reply's quotations that none of the passages it cites holds word for word."""
    sources = sources_of(record)
    return unverified_quotes(record.content, sources) if sources else ()


UNVERIFIED_NOTE = QT_TRANSLATE_NOOP("chat.message_model", "not word for word in the sources")
# The end of a quotation: its last words, then the closing mark (ask.py's quotation marks).
_QUOTE_END = r"{}\s*[\"”“]"

ANSWERED_FROM = {
    Route.PASSAGES: QT_TRANSLATE_NOOP("chat.message_model", "Answered from passages of {files}"),
    Route.WHOLE: QT_TRANSLATE_NOOP("chat.message_model",
                                   "Answered from the whole document (its summaries)"),
}
ANSWER_INSTEAD = {  # by the way it offers
    Route.WHOLE: QT_TRANSLATE_NOOP("chat.message_model", "Answer from the whole document instead"),
    Route.PASSAGES: QT_TRANSLATE_NOOP("chat.message_model", "Answer from passages instead"),
}


def other_route(route: Route) -> Route:
    return Route.WHOLE if route is Route.PASSAGES else Route.PASSAGES


def answered_from(route: Route, sources: Sequence[Source]) -> str:
    """"Answered from passages of report.pdf", "Answered from the whole document (...)"."""
    files = (", ".join(dict.fromkeys(source.file for source in sources)) or
        QCoreApplication.translate("chat.message_model", "the document"))
    return translated("chat.message_model", ANSWERED_FROM)[route].format(files=files)


def route_markdown(message_id: int, route: Route, sources: Sequence[Source],
                   offers: bool) -> str:
    """The line under a reply about a long document: the way it was answered, in italics,
    and when `offers`, a link that writes it again the other way."""
    line = f"*{_escaped(answered_from(route, sources))}*"
    if not offers:
        return line
    other = other_route(route)
    instead = translated("chat.message_model", ANSWER_INSTEAD[other])
    return f"{line} · [{instead}]({route_link(message_id, other)})"


# A citation marker, "[1]" or "[1, 2]", outside code spans and links.
_MARKER = re.compile(r"""
    (?P<code>(`+).*?\2)                          # a code span: left as it is
    | (?<![\\!]) \[ (?P<numbers>\d+(?:\s*,\s*\d+)*) \] (?!\()  # not a link's text
""", re.VERBOSE)
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _escaped(text: str) -> str:
    """Text that Markdown shows as it is (a file may be called "notes_[draft].md")."""
    return _PUNCTUATION.sub(r"\\\1", text)


def _fenced(line: str) -> bool:
    return line.lstrip().startswith(("```", "~~~"))


def cited_markdown(text: str, sources: Sequence[Source], unverified: Sequence[str] = ()) -> str:
    """The reply as shown: each marker of a cited number a link to its passage, and under the
    answer a "Sources" block, one link a line. Markers in code are left alone. Each quotation
    of `unverified` is followed by a note, in words, that the sources do not hold it."""
    if not sources:
        return text
    for quote in unverified:
        text = re.sub(_QUOTE_END.format(re.escape(quote)),
                      lambda end:
                      f"{end.group(0)} *({translated('chat.message_model', UNVERIFIED_NOTE)})*",
                      text)
    links: Mapping[int, str] = {source.number: source.link for source in sources}

    def link(match: re.Match[str]) -> str:
        if match.group("code"):
            return match.group(0)
        numbers = [int(n) for n in match.group("numbers").split(",")]
        if not any(n in links for n in numbers):
            return match.group(0)
        if len(numbers) == 1:
            return f"[\\[{numbers[0]}\\]]({links[numbers[0]]})"
        parts = (f"[{n}]({links[n]})" if n in links else str(n) for n in numbers)
        return f"\\[{', '.join(parts)}\\]"

    lines, fenced = [], False
    for line in text.split("\n"):
        if _fenced(line):
            fenced = not fenced
        lines.append(line if fenced or _fenced(line) else _MARKER.sub(link, line))
    if fenced:  # a reply cut inside a code block: close it, or the sources would be code
        lines.append("```")
    listed = "  \n".join(f"[{_escaped(f'[{s.number}] {s.where}')}]({s.link})" for s in sources)
    heading = translated("chat.message_model", SOURCES_HEADING)
    return "\n".join(lines) + f"\n\n**{heading}**\n\n{listed}\n"


@dataclass
class _Row:
    record: MessageRecord
    content: str
    status: str
    reasoning: str = ""
    revision: int = 0
    reasoning_revision: int = 0
    in_view: bool = True
    view_starts_here: bool = False
    thinking_since: float | None = None  # when its thinking began streaming here
    thought_seconds: float | None = None  # measured here, from the first thought to the answer
    shown: tuple[int, str] | None = None  # the text as displayed, with the revision it is of
    offers: bool = False  # its line offers the other way to answer (the last reply, written)


def _row(record: MessageRecord) -> _Row:
    return _Row(record, record.content, record.status, record.reasoning)


class MessageListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._expanded: set[int] = set()  # messages whose thinking is shown
        self._clock = clock
        self.chat_id: int | None = None

    def set_messages(
        self, chat_id: int, messages: list[MessageRecord], first_id: int | None = None
    ) -> None:
        """Shows a chat. The same chat again is updated in place, so rows that did not change
        keep their rendering (a long chat is not laid out anew on every turn)."""
        old_ids = [row.record.id for row in self._rows]
        new_ids = [m.id for m in messages]
        if chat_id != self.chat_id or new_ids[: len(old_ids)] != old_ids:
            self.beginResetModel()
            self.chat_id = chat_id
            self._rows = [_row(m) for m in messages]
            self._mark_view(first_id, ())
            self._mark_offers()
            self.endResetModel()
            return
        for row, record in zip(self._rows, messages, strict=False):
            if ((row.content, row.status, row.record.citations, row.record.note)
                    != (record.content, record.status, record.citations, record.note)):
                row.record, row.content, row.status = record, record.content, record.status
                row.revision += 1
            if row.reasoning != record.reasoning:
                row.reasoning = record.reasoning
                row.reasoning_revision += 1
            row.record = record
        if len(messages) > len(self._rows):
            self.beginInsertRows(QModelIndex(), len(self._rows), len(messages) - 1)
            self._rows += [_row(m) for m in messages[len(self._rows):]]
            self.endInsertRows()
        self._mark_view(first_id, ())
        self._mark_offers()
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def set_context(self, view: ContextView) -> None:
        if view.chat_id != self.chat_id:
            return
        self._mark_view(view.first_id, view.head_ids)
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def _mark_view(self, first_id: int | None, head_ids: tuple[int, ...]) -> None:
        seen_first = first_id is None
        for row in self._rows:
            starts = not seen_first and row.record.id == first_id
            seen_first = seen_first or starts
            in_view = seen_first or row.record.id in head_ids
            row.in_view, row.view_starts_here = in_view, starts

    def _mark_offers(self) -> list[int]:
        """Only the last reply, once written, offers to be answered the other way: that is
        the reply a regeneration replaces. A row whose offer changes is drawn anew; their
        numbers are returned."""
        last = self.last_row_of("assistant")
        changed = []
        for number, row in enumerate(self._rows):
            offers = (number == last and row.record.route is not None
                      and row.status != "streaming")
            if offers != row.offers:
                row.offers = offers
                row.revision += 1
                changed.append(number)
        return changed

    def offered_route(self, message_id: int) -> Route | None:
        """The way the reply offers to be answered again, if it offers one."""
        row = self.row_of(message_id)
        record = self._rows[row].record if row >= 0 else None
        if record is None or record.route is None or not self._rows[row].offers:
            return None
        return other_route(record.route)

    def append_delta(self, chat_id: int, message_id: int, text: str) -> None:
        def grow(item: _Row) -> None:
            self._stop_thinking(item)
            item.content += text
            item.revision += 1
        self._change_streaming(chat_id, message_id, grow)

    def append_reasoning(self, chat_id: int, message_id: int, text: str) -> None:
        """More of a streaming reply's thinking (it comes before the answer)."""
        def grow(item: _Row) -> None:
            if item.thinking_since is None:
                item.thinking_since = self._clock()
            item.reasoning += text
            item.reasoning_revision += 1
        self._change_streaming(chat_id, message_id, grow)

    def _change_streaming(self, chat_id: int, message_id: int,
                          change: Callable[[_Row], None]) -> None:
        """Applies `change` to a shown message of the open chat and repaints it."""
        if chat_id != self.chat_id:
            return
        row = self.row_of(message_id)
        if row < 0:
            return
        change(self._rows[row])
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def _stop_thinking(self, item: _Row) -> None:
        if item.thinking_since is not None and item.thought_seconds is None:
            item.thought_seconds = self._clock() - item.thinking_since

    def toggle_reasoning(self, row: int) -> bool:
        """Opens or closes the row's thinking; False when it has none."""
        index = self.index(row)
        if not index.isValid() or not self._rows[row].reasoning:
            return False
        return self.setData(index, self._rows[row].record.id not in self._expanded,
                            MessageRole.ReasoningExpanded)

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != MessageRole.ReasoningExpanded or not index.isValid():
            return False
        message_id = self._rows[index.row()].record.id
        if bool(value):
            self._expanded.add(message_id)
        else:
            self._expanded.discard(message_id)
        self.dataChanged.emit(index, index, [MessageRole.ReasoningExpanded])
        return True

    def finish(self, chat_id: int, record: MessageRecord) -> None:
        if chat_id != self.chat_id:
            return
        row = self.row_of(record.id)
        if row < 0:
            return
        item = self._rows[row]
        self._stop_thinking(item)
        item.record, item.content, item.status = record, record.content, record.status
        item.revision += 1
        if item.reasoning != record.reasoning:
            item.reasoning = record.reasoning
            item.reasoning_revision += 1
        changed = [row, *self._mark_offers()]
        self.dataChanged.emit(self.index(min(changed)), self.index(max(changed)))

    def row_of(self, message_id: int) -> int:
        return next((i for i, row in enumerate(self._rows) if row.record.id == message_id), -1)

    def reasoning_label(self, row: int) -> str:
        item = self._rows[row]
        if item.status == "streaming" and not item.content:
            return translated("chat.message_model", THINKING_LABEL)
        if item.thought_seconds is not None:
            return thought_label(item.thought_seconds)
        if item.thinking_since is not None:  # the answer never came: it thought till the end
            return thought_label(self._clock() - item.thinking_since)
        return thought_label(estimated_thought_seconds(item.record), estimated=True)

    def message_at(self, row: int) -> tuple[MessageRecord, str] | None:
        """The record and its current text (which runs ahead of the record while streaming)."""
        if 0 <= row < len(self._rows):
            return self._rows[row].record, self._rows[row].content
        return None

    def versions(self, row: int) -> tuple[int, int]:
        """The row's message's version and how many it has ((1, 1) for none)."""
        if 0 <= row < len(self._rows):
            return self._rows[row].record.version, self._rows[row].record.versions
        return 1, 1

    def sources(self, row: int) -> tuple[Source, ...]:
        """The passages the row's reply cites, in the order it first cites them."""
        if 0 <= row < len(self._rows):
            return sources_of(self._rows[row].record)
        return ()

    def source(self, message_id: int, number: int) -> Source | None:
        """The passage a reply cites as "[number]"."""
        return next((s for s in self.sources(self.row_of(message_id)) if s.number == number),
                    None)

    def question_before(self, message_id: int) -> str:
        """What the person asked right before the message (the question a reply answers)."""
        row = self.row_of(message_id)
        return next((self._rows[i].content for i in range(row - 1, -1, -1)
                     if self._rows[i].record.role == "user"), "") if row > 0 else ""

    def _shown_text(self, row: _Row) -> str:
        """The Markdown the view draws: the text with its citations linked, its unverified
        quotations noted, the way it was answered, and Hearth's note (how a summary was made)."""
        route = row.record.route if row.status != "streaming" else None
        note = row.record.note if row.status != "streaming" else None
        if not row.record.citations and route is None and note is None:
            return row.content
        if row.shown is None or row.shown[0] != row.revision:
            sources = sources_of(row.record)
            text = cited_markdown(row.content, sources, unverified_of(row.record))
            if route is not None:
                line = route_markdown(row.record.id, route, sources, row.offers)
                text = f"{text}\n\n{line}\n"
            if note is not None:
                said = say(note)
                text = f"{text.rstrip()}\n\n*{said}*" if text.strip() else f"*{said}*"
            row.shown = (row.revision, text)
        return row.shown[1]

    def last_row_of(self, speaker: str) -> int:
        return next(
            (i for i in range(len(self._rows) - 1, -1, -1)
             if self._rows[i].record.role == speaker),
            -1,
        )

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._shown_text(row)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            stopped = self.tr(" (stopped)") if row.status == "stopped" else ""
            thinking = ""
            if row.reasoning:
                opened = row.record.id in self._expanded
                shown = (self.tr(", shown: {reasoning}").format(reasoning=row.reasoning)
                         if opened else self.tr(", hidden (Space shows it)"))
                thinking = f"{self.reasoning_label(index.row())}{shown}. "
            sources = sources_of(row.record)
            listed = "".join(f" [{s.number}] {s.where}." for s in sources)
            heading = translated("chat.message_model", SOURCES_HEADING)
            unverified = translated("chat.message_model", UNVERIFIED_NOTE)
            cited = f" {heading}:{listed}" if sources else ""
            cited += "".join(f" “{quote}”: {unverified}." for quote in unverified_of(row.record))
            if row.record.route is not None and row.status != "streaming":
                cited += f" {answered_from(row.record.route, sources)}."
                offered = self.offered_route(row.record.id)
                if offered is not None:
                    cited += self.tr(" {instead}: in the message's menu.").format(
                        instead=translated("chat.message_model", ANSWER_INSTEAD[offered]))
            versions = ""
            if row.record.versions > 1:
                versions = self.tr(" {version}: Previous version and Next version in the "
                                   "message's menu.").format(
                    version=version_text(row.record.version, row.record.versions))
            signed = "".join(f", {part}" for part in byline(row.record))
            speaker = translated("chat.message_model", SPEAKERS[row.record.role])
            noted = (f" {say(row.record.note)}"
                     if row.record.note is not None and row.status != "streaming" else "")
            return f"{speaker}{stopped}{signed}: {thinking}{row.content}{noted}{cited}{versions}"
        if role == MessageRole.Id:
            return row.record.id
        if role == MessageRole.Speaker:
            return row.record.role
        if role == MessageRole.Status:
            return row.status
        if role == MessageRole.InView:
            return row.in_view
        if role == MessageRole.ViewStartsHere:
            return row.view_starts_here
        if role == MessageRole.Revision:
            return row.revision
        if role == MessageRole.Reasoning:
            return row.reasoning
        if role == MessageRole.ReasoningExpanded:
            return row.record.id in self._expanded
        if role == MessageRole.ReasoningLabel:
            return self.reasoning_label(index.row()) if row.reasoning else ""
        if role == MessageRole.ReasoningRevision:
            return row.reasoning_revision
        if role == MessageRole.Sources:
            return sources_of(row.record)
        if role == MessageRole.Unverified:
            return unverified_of(row.record)
        if role == MessageRole.Versions:
            return self.versions(index.row())
        if role == MessageRole.Byline:
            return " · ".join(byline(row.record))
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        return {
            **super().roleNames(),
            MessageRole.Id: QByteArray(b"messageId"),
            MessageRole.Speaker: QByteArray(b"speaker"),
            MessageRole.Status: QByteArray(b"status"),
            MessageRole.InView: QByteArray(b"inView"),
            MessageRole.ViewStartsHere: QByteArray(b"viewStartsHere"),
            MessageRole.Revision: QByteArray(b"revision"),
            MessageRole.Reasoning: QByteArray(b"reasoning"),
            MessageRole.ReasoningExpanded: QByteArray(b"reasoningExpanded"),
            MessageRole.ReasoningLabel: QByteArray(b"reasoningLabel"),
            MessageRole.ReasoningRevision: QByteArray(b"reasoningRevision"),
            MessageRole.Sources: QByteArray(b"sources"),
            MessageRole.Unverified: QByteArray(b"unverified"),
            MessageRole.Versions: QByteArray(b"versions"),
            MessageRole.Byline: QByteArray(b"byline"),
        }
