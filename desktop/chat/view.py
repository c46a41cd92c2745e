"""The conversation: a list view whose delegate renders each message's Markdown.

Each message is laid out once per change into a cached QTextDocument; while a reply streams,
only that one document is rebuilt (at the worker's ~50 ms cadence), never the whole chat.
The document never loads resources, so a model's Markdown cannot make the app fetch anything.

A reply with thinking has a line above its answer, "▸ Thinking…" while it thinks and "▸ Thought
for 12 s" after; a click on it (or Space or Enter on the message) opens the thinking, muted and
indented, and closes it again. Whether it is open is the model's data, not the view's.

Each fenced code block in an answer is coloured after its language and has a Copy button on
its header line (desktop/chat/code_blocks.py); a click copies that block's code, and the
button says "Copied" for a while after.

The header line names the speaker, then, muted, the model that wrote a reply and when it was
written (message_model.py's byline), shortened to leave room for the version control.

A message with versions has "‹ 2/3 ›" on the right of its header line; a click on an arrow asks
for the version before or after it (`versionRequested`), which the panel sends to the engine.

A quotation that the passages a reply cites do not hold word for word is shaded, with a wavy
underline and a tooltip; the note after it says the same in words (message_model.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop.chat.code_blocks import CodeBlock, prepare_code
from desktop.chat.link_opener import link_tip
from desktop.chat.message_model import SPEAKERS, MessageRole, version_text
from desktop.i18n import QT_TRANSLATE_NOOP, translated

_Index = QModelIndex | QPersistentModelIndex

PADDING = 10
GAP = 6
INDENT = 14  # of an open thinking section, right of its bar
# Over an empty chat (the panel's EmptyState paints it and gives it to screen readers)
EMPTY_CHAT_NOTE = QT_TRANSLATE_NOOP("chat.view", "Ask anything. The model runs on this computer; "
                                                 "nothing leaves it.")
VIEW_START_NOTE = QT_TRANSLATE_NOOP("chat.view", "The model's view begins here: messages above are "
                                                 "outside its context window.")
SHOW_THINKING = QT_TRANSLATE_NOOP("chat.view", "Show the model's thinking (click, or Space)")
HIDE_THINKING = QT_TRANSLATE_NOOP("chat.view", "Hide the model's thinking (click, or Space)")
COPY = QT_TRANSLATE_NOOP("chat.view", "Copy")
COPIED = QT_TRANSLATE_NOOP("chat.view", "Copied")
COPY_TIP = QT_TRANSLATE_NOOP("chat.view", "Copy this code")
COPIED_FOR_MS = 2000  # how long a code block's button says "Copied"
UNVERIFIED_TIP = QT_TRANSLATE_NOOP("chat.view", "This quotation is not found word for word in the "
                                                "passages the reply cites")
UNVERIFIED_LINE = QColor(214, 69, 65)  # a red that reads on light and dark backgrounds
UNVERIFIED_SHADE = QColor(214, 69, 65, 36)
PREVIOUS_VERSION = QT_TRANSLATE_NOOP("chat.view", "Previous version")
NEXT_VERSION = QT_TRANSLATE_NOOP("chat.view", "Next version")
BYLINE_GAP = "   "  # between the speaker and the byline


class InertTextDocument(QTextDocument):
    """A text document that loads nothing: no images, no files, no network.

    An image is given an empty placeholder: given no data at all, Qt's image handler would
    read a local path or file: URL from disk itself."""

    _placeholder: QImage | None = None

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        if type == QTextDocument.ResourceType.ImageResource:
            if InertTextDocument._placeholder is None:
                InertTextDocument._placeholder = QImage(16, 16, QImage.Format.Format_ARGB32)
                InertTextDocument._placeholder.fill(Qt.GlobalColor.transparent)
            return InertTextDocument._placeholder
        return None


def render_markdown(text: str, font: QFont, width: int, palette: QPalette) -> QTextDocument:
    document = InertTextDocument()
    document.setDefaultFont(font)
    document.setDocumentMargin(0)
    # Chinese has no spaces, and a long path or URL none either: break where a line is full.
    option = document.defaultTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    document.setDefaultTextOption(option)
    document.setMarkdown(keep_line_breaks(text),
                         QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
    _style_code_blocks(document, palette)
    document.setTextWidth(max(width, 50))
    return document


def keep_line_breaks(text: str) -> str:
    """Makes each line break a break, as in a chat, not a space, as in Markdown prose.

    Models often write code or verse without fences; merged into one line it is unreadable.
    Lines inside fenced code blocks are left alone.
    """
    lines = text.split("\n")
    fenced = False
    for index in range(len(lines) - 1):
        line = lines[index]
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.strip() and lines[index + 1].strip():
            lines[index] = line + "  "  # two trailing spaces: a hard line break
            following = lines[index + 1]
            indent = len(following) - len(following.lstrip(" "))
            if indent and not _LIST_ITEM.match(following):
                # Markdown drops a continuation line's indentation; code needs it.
                lines[index + 1] = "\u00a0" * indent + following[indent:]
    return "\n".join(lines)


_LIST_ITEM = re.compile(r" *([-*+]|\d{1,9}[.)])( |$)")


def mark_unverified(document: QTextDocument, quotes: Sequence[str]) -> None:
    """Gives each of `quotes` a faint red shade, a wavy red underline and a tooltip, wherever
    it is in the laid out text."""
    mark = QTextCharFormat()
    mark.setBackground(UNVERIFIED_SHADE)
    mark.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
    mark.setUnderlineColor(UNVERIFIED_LINE)
    mark.setToolTip(translated("chat.view", UNVERIFIED_TIP))
    exact = QTextDocument.FindFlag.FindCaseSensitively
    for quote in quotes:
        cursor = document.find(quote, 0, exact)
        while not cursor.isNull():
            cursor.mergeCharFormat(mark)
            cursor = document.find(quote, cursor, exact)


def _style_code_blocks(document: QTextDocument, palette: QPalette) -> None:
    """Gives fenced code a monospaced font and a shaded background, as readers expect."""
    mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    shade = palette.color(QPalette.ColorRole.AlternateBase)
    if shade == palette.color(QPalette.ColorRole.Base):
        shade = palette.color(QPalette.ColorRole.Mid)
        shade.setAlpha(60)
    block = document.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.hasProperty(QTextFormat.Property.BlockCodeFence) or fmt.nonBreakableLines():
            # Only this block: a BlockUnderCursor selection would start in the block before
            # and give it the code's shading too.
            cursor = QTextCursor(block)
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock,
                                QTextCursor.MoveMode.KeepAnchor)
            code = QTextBlockFormat(fmt)
            code.setBackground(shade)
            code.setNonBreakableLines(False)  # a bubble cannot scroll sideways: wrap long lines
            cursor.setBlockFormat(code)
            char = cursor.charFormat()
            char.setFont(mono)
            cursor.setCharFormat(char)
        block = block.next()


@dataclass(frozen=True)
class _Layout:
    """Where a message's parts go, in view coordinates."""

    bubble: QRect
    header: QRect
    toggle: QRect | None  # the "Thought for 12 s" line, None without thinking
    reasoning: QTextDocument | None  # the open thinking, None while closed
    reasoning_at: QPoint
    answer: QTextDocument | None  # None while a reply has only thought so far
    answer_at: QPoint
    code: tuple[CodeBlock, ...]  # the answer's fenced code blocks


class MessageDelegate(QStyledItemDelegate):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[int, tuple[int, int, QTextDocument, tuple[CodeBlock, ...]]] = {}
        self._reasoning_cache: dict[int, tuple[int, int, QTextDocument]] = {}
        # The code block whose button says "Copied": message id, revision, block's number.
        self.copied: tuple[int, int, int] | None = None

    def clear_cache(self) -> None:
        self._cache.clear()
        self._reasoning_cache.clear()

    def _document(self, index: _Index, option: QStyleOptionViewItem
                  ) -> tuple[QTextDocument | None, tuple[CodeBlock, ...]]:
        """The answer, laid out, and its code blocks."""
        message_id = int(index.data(MessageRole.Id))
        revision = int(index.data(MessageRole.Revision))
        width = self._text_width(option)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if not text and index.data(MessageRole.Reasoning):
            return None, ()  # only thinking so far: its line says so
        cached = self._cache.get(message_id)
        if cached and cached[0] == revision and cached[1] == width:
            return cached[2], cached[3]
        streaming = index.data(MessageRole.Status) == "streaming"
        if not text and streaming:
            text = "…"
        document = render_markdown(text, option.font, width, option.palette)
        mark_unverified(document, index.data(MessageRole.Unverified) or ())
        code = prepare_code(document, option.palette, option.font, streaming)
        self._cache[message_id] = (revision, width, document, code)
        return document, code

    def _reasoning_document(self, index: _Index,
                            option: QStyleOptionViewItem) -> QTextDocument | None:
        if not index.data(MessageRole.Reasoning) or not index.data(MessageRole.ReasoningExpanded):
            return None
        message_id = int(index.data(MessageRole.Id))
        revision = int(index.data(MessageRole.ReasoningRevision))
        width = self._text_width(option) - INDENT
        cached = self._reasoning_cache.get(message_id)
        if cached and cached[0] == revision and cached[1] == width:
            return cached[2]
        document = render_markdown(str(index.data(MessageRole.Reasoning)), option.font, width,
                                   option.palette)
        self._reasoning_cache[message_id] = (revision, width, document)
        return document

    def _layout(self, index: _Index, option: QStyleOptionViewItem) -> _Layout:
        bubble = self._bubble(index, option)
        header = self._header(bubble, option)
        y = header.bottom()
        toggle, reasoning = None, None
        reasoning_at = QPoint(header.x() + INDENT, y)
        if index.data(MessageRole.Reasoning):
            toggle = QRect(header.x(), y, header.width(), self._toggle_height(option))
            y += toggle.height()
            reasoning = self._reasoning_document(index, option)
            reasoning_at = QPoint(header.x() + INDENT, y)
            if reasoning is not None:
                y += int(reasoning.size().height()) + 2 * GAP
        answer, code = self._document(index, option)
        return _Layout(bubble, header, toggle, reasoning, reasoning_at, answer,
                       QPoint(header.x(), y), code)

    @staticmethod
    def _toggle_height(option: QStyleOptionViewItem) -> int:
        return option.fontMetrics.height() + GAP

    @staticmethod
    def _text_width(option: QStyleOptionViewItem) -> int:
        return max(option.rect.width(), 200) - 4 * PADDING

    @staticmethod
    def _header_height(option: QStyleOptionViewItem) -> int:
        return option.fontMetrics.height() + GAP

    def _note_height(self, index: _Index, option: QStyleOptionViewItem) -> int:
        if not index.data(MessageRole.ViewStartsHere):
            return 0
        return option.fontMetrics.height() * 2 + GAP

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        layout = self._layout(index, option)
        # Only thinking so far: the bubble ends below its line, without the line's gap.
        answer = int(layout.answer.size().height()) if layout.answer is not None else -GAP
        height = layout.answer_at.y() - option.rect.y() + answer + 2 * PADDING + 1
        return QSize(option.rect.width(), height)

    def _bubble(self, index: _Index, option: QStyleOptionViewItem) -> QRect:
        rect = QRect(option.rect)
        rect.setTop(rect.top() + self._note_height(index, option))
        return rect.adjusted(PADDING, PADDING // 2, -PADDING, -PADDING // 2)

    def _header(self, bubble: QRect, option: QStyleOptionViewItem) -> QRect:
        return QRect(bubble.x() + PADDING, bubble.y() + PADDING // 2,
                     bubble.width() - 2 * PADDING, self._header_height(option))

    def link_at(self, index: _Index, option: QStyleOptionViewItem, point: QPoint) -> str:
        """The link target under `point` (view coordinates), or "" where there is none."""
        layout = self._layout(index, option)
        for document, origin in ((layout.reasoning, layout.reasoning_at),
                                 (layout.answer, layout.answer_at)):
            if document is not None and point.y() >= origin.y():
                link = document.documentLayout().anchorAt(QPointF(point - origin))
                if link:
                    return link
        return ""

    def tip_at(self, index: _Index, option: QStyleOptionViewItem, point: QPoint) -> str:
        """The tooltip of the answer's text under `point` (view coordinates), or ""."""
        layout = self._layout(index, option)
        if layout.answer is None or point.y() < layout.answer_at.y():
            return ""
        found = layout.answer.documentLayout().formatAt(QPointF(point - layout.answer_at))
        return found.toCharFormat().toolTip() if found.isCharFormat() else ""

    def thinking_line(self, index: _Index, option: QStyleOptionViewItem) -> QRect | None:
        """Where the line that opens and closes the thinking is (view coordinates)."""
        return self._layout(index, option).toggle

    def code_blocks(self, index: _Index, option: QStyleOptionViewItem) -> tuple[CodeBlock, ...]:
        return self._layout(index, option).code

    def copy_buttons(self, index: _Index, option: QStyleOptionViewItem) -> list[QRect]:
        """Where each code block's Copy button is (view coordinates), in the blocks' order."""
        layout = self._layout(index, option)
        return [self._copy_button(layout, block, option) for block in layout.code]

    def copy_label(self, index: _Index, number: int) -> str:
        """What the button of the message's code block `number` says."""
        shown = (int(index.data(MessageRole.Id)), int(index.data(MessageRole.Revision)), number)
        return translated("chat.view", COPIED if self.copied == shown else COPY)

    @staticmethod
    def _button_font(option: QStyleOptionViewItem) -> QFont:
        font = QFont(option.font)
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * 0.85)
        else:
            font.setPixelSize(max(8, round(font.pixelSize() * 0.85)))
        return font

    def _copy_button(self, layout: _Layout, block: CodeBlock,
                     option: QStyleOptionViewItem) -> QRect:
        """On the right of the code block's header line."""
        assert layout.answer is not None
        header = layout.answer.findBlockByNumber(block.header)
        # The line as drawn: indented in a list or a quote, which blockBoundingRect leaves out.
        at = layout.answer.documentLayout().blockBoundingRect(header).topLeft()
        line = header.layout().boundingRect().translated(at).toAlignedRect()
        line.translate(layout.answer_at)
        width = QFontMetrics(self._button_font(option)).horizontalAdvance(
            translated("chat.view", COPIED)) + 2 * GAP
        return QRect(line.right() - width - 2, line.top() + 1, width, line.height() - 2)

    def version_controls(self, index: _Index, option: QStyleOptionViewItem
                         ) -> tuple[QRect, QRect, QRect] | None:
        """Where "‹", "2/3" and "›" are on the header line (view coordinates); None for a
        message with one version."""
        versions = (index.data(MessageRole.Versions) or (1, 1))[1]
        if versions < 2:
            return None
        header = self._header(self._bubble(index, option), option)
        metrics = QFontMetrics(self._button_font(option))
        arrow = metrics.horizontalAdvance("›") + 2 * GAP  # wider than drawn: easier to hit
        label = metrics.horizontalAdvance(f"{versions}/{versions}") + GAP
        after = QRect(header.right() - arrow + 1, header.y(), arrow, header.height())
        shown = QRect(after.x() - label, header.y(), label, header.height())
        before = QRect(shown.x() - arrow, header.y(), arrow, header.height())
        return before, shown, after

    def _paint_versions(self, painter: QPainter, index: _Index,
                        option: QStyleOptionViewItem) -> None:
        controls = self.version_controls(index, option)
        if controls is None:
            return
        version, versions = index.data(MessageRole.Versions)
        palette = option.palette
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        text = palette.color(QPalette.ColorRole.Text)
        painter.setFont(self._button_font(option))
        centre = int(Qt.AlignmentFlag.AlignCenter)
        before, shown, after = controls
        painter.setPen(text if version > 1 else muted)  # muted: there is none that way
        painter.drawText(before, centre, "‹")
        painter.setPen(muted)
        painter.drawText(shown, centre, f"{version}/{versions}")
        painter.setPen(text if version < versions else muted)
        painter.drawText(after, centre, "›")

    def header_text(self, index: _Index, option: QStyleOptionViewItem) -> tuple[str, str]:
        """The header line as drawn: the speaker (and the reply's state), in bold, then its
        byline, muted and elided in the middle to the room left of the version control."""
        speaker = str(index.data(MessageRole.Speaker))
        status = str(index.data(MessageRole.Status))
        suffix = {"stopped": self.tr("  · stopped"), "error": self.tr("  · the model stopped "
                                                                      "unexpectedly"),
                  "streaming": self.tr("  · writing…")}
        title = translated("chat.message_model", SPEAKERS).get(speaker, speaker) + suffix.get(
                                                            status, "")
        header = self._header(self._bubble(index, option), option)
        controls = self.version_controls(index, option)
        end = controls[0].x() - GAP if controls is not None else header.right()
        room = end - header.x() - QFontMetrics(self._title_font(option)).horizontalAdvance(
            title + BYLINE_GAP)
        byline = str(index.data(MessageRole.Byline) or "")
        shown = QFontMetrics(option.font).elidedText(byline, Qt.TextElideMode.ElideMiddle,
                                                     max(room, 0))
        return title, shown

    @staticmethod
    def _title_font(option: QStyleOptionViewItem) -> QFont:
        font = QFont(option.font)
        font.setBold(True)
        return font

    def _paint_header(self, painter: QPainter, index: _Index,
                      option: QStyleOptionViewItem) -> None:
        title, byline = self.header_text(index, option)
        header = self._header(self._bubble(index, option), option)
        left = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        title_font = self._title_font(option)
        painter.setFont(title_font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(header, left, title)
        if byline:
            painter.setFont(option.font)
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
            at = QFontMetrics(title_font).horizontalAdvance(title + BYLINE_GAP)
            painter.drawText(header.adjusted(at, 0, 0, 0), left, byline)

    def _paint_copy_button(self, painter: QPainter, rect: QRect, label: str,
                           option: QStyleOptionViewItem) -> None:
        palette = option.palette
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Button))
        painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        painter.setFont(self._button_font(option))
        painter.setPen(palette.color(QPalette.ColorRole.ButtonText))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        painter.save()
        palette = option.palette
        note = self._note_height(index, option)
        if note:
            self._paint_view_start(
                painter, QRect(option.rect.x(), option.rect.y(), option.rect.width(), note),
                palette,
            )
        if not index.data(MessageRole.InView):
            painter.setOpacity(0.5)
        bubble = self._bubble(index, option)
        speaker = str(index.data(MessageRole.Speaker))
        fill = palette.color(
            QPalette.ColorRole.AlternateBase if speaker == "user" else QPalette.ColorRole.Base
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
        painter.setBrush(fill)
        painter.drawRoundedRect(bubble, 8, 8)

        self._paint_header(painter, index, option)
        self._paint_versions(painter, index, option)

        layout = self._layout(index, option)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        if layout.toggle is not None:
            self._paint_toggle(painter, layout.toggle, index, option, muted)
        if layout.reasoning is not None:
            bar_x = layout.header.x() + INDENT // 3
            height = int(layout.reasoning.size().height())
            painter.setPen(palette.color(QPalette.ColorRole.Mid))
            painter.drawLine(bar_x, layout.reasoning_at.y(), bar_x,
                             layout.reasoning_at.y() + height)
            _draw_document(painter, layout.reasoning, layout.reasoning_at, muted)
        if layout.answer is not None:
            _draw_document(painter, layout.answer, layout.answer_at,
                           palette.color(QPalette.ColorRole.Text))
        for number, block in enumerate(layout.code):
            self._paint_copy_button(painter, self._copy_button(layout, block, option),
                                    self.copy_label(index, number), option)
        painter.restore()

    @staticmethod
    def _paint_toggle(painter: QPainter, rect: QRect, index: _Index,
                      option: QStyleOptionViewItem, color: QColor) -> None:
        """"▸ Thought for 12 s", closed; "▾ ..." open."""
        opened = bool(index.data(MessageRole.ReasoningExpanded))
        font = QFont(option.font)
        font.setItalic(True)
        painter.setFont(font)
        painter.setPen(color)
        arrow = "▾" if opened else "▸"
        painter.drawText(rect.adjusted(0, 0, 0, -GAP),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         f"{arrow} {index.data(MessageRole.ReasoningLabel)}")

    @staticmethod
    def _paint_view_start(painter: QPainter, rect: QRect, palette: QPalette) -> None:
        accent = QColor(palette.color(QPalette.ColorRole.Highlight))
        painter.setPen(accent)
        middle = rect.y() + rect.height() // 4
        painter.drawLine(rect.x() + PADDING, middle, rect.right() - PADDING, middle)
        painter.drawText(rect.adjusted(PADDING, rect.height() // 3, -PADDING, 0),
                         int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                         translated("chat.view", VIEW_START_NOTE))


def _draw_document(painter: QPainter, document: QTextDocument, at: QPoint,
                   color: QColor) -> None:
    painter.save()
    painter.translate(at)
    context = QAbstractTextDocumentLayout.PaintContext()
    context.palette.setColor(QPalette.ColorRole.Text, color)
    document.documentLayout().draw(painter, context)
    painter.restore()


class ChatView(QListView):
    """Follows a streaming reply while the reader is at the bottom; stays put otherwise.

    Links in a message do nothing by themselves: hovering shows where one goes, and a click
    only asks (`linkClicked`) — the window confirms with the person before anything opens.
    """

    linkClicked = Signal(QUrl)
    versionRequested = Signal(int, int)  # message id, step: -1 the version before, 1 after

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_delegate = MessageDelegate(self)
        self.setItemDelegate(self.message_delegate)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAccessibleName(self.tr("Conversation"))
        self.setSpacing(2)
        self._follow = True
        self.setMouseTracking(True)
        self._copied_timer = QTimer(self)  # a "Copied" button turns back to "Copy"
        self._copied_timer.setSingleShot(True)
        self._copied_timer.timeout.connect(self._forget_copied)
        self.verticalScrollBar().valueChanged.connect(self._remember_position)
        self.verticalScrollBar().rangeChanged.connect(self._keep_following)

    def changeEvent(self, event: QEvent) -> None:
        # Laid-out messages hold the palette's colours (code shading, text): lay them out anew.
        if event.type() == QEvent.Type.PaletteChange:
            self.message_delegate.clear_cache()
            self.scheduleDelayedItemsLayout()
        super().changeEvent(event)

    def _remember_position(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 4

    def _keep_following(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)

    def follow(self) -> None:
        self._follow = True
        self.scrollToBottom()

    def dataChanged(
        self, top_left: _Index, bottom_right: _Index, roles: Sequence[int] = ()
    ) -> None:
        super().dataChanged(top_left, bottom_right, roles)
        # A streaming message grows: item heights must be asked again.
        self.scheduleDelayedItemsLayout()

    def _option_for(self, index: QModelIndex) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        return option

    def link_at(self, point: QPoint) -> str:
        index = self.indexAt(point)
        if not index.isValid():
            return ""
        return self.message_delegate.link_at(index, self._option_for(index), point)

    def tip_at(self, point: QPoint) -> str:
        """The tooltip of the text under `point` (a marked quotation's), or ""."""
        index = self.indexAt(point)
        if not index.isValid():
            return ""
        return self.message_delegate.tip_at(index, self._option_for(index), point)

    def thinking_line(self, index: QModelIndex) -> QRect | None:
        """Where a message's "Thought for 12 s" line is, None if it has no thinking."""
        return self.message_delegate.thinking_line(index, self._option_for(index))

    def toggle_at(self, point: QPoint) -> QModelIndex | None:
        """The message whose thinking line is under `point`, if any."""
        index = self.indexAt(point)
        line = self.thinking_line(index) if index.isValid() else None
        return index if line is not None and line.contains(point) else None

    def copy_buttons(self, index: QModelIndex) -> list[QRect]:
        """Where the Copy buttons of a message's code blocks are, in the blocks' order."""
        return self.message_delegate.copy_buttons(index, self._option_for(index))

    def copy_label(self, index: QModelIndex, number: int) -> str:
        """"Copy", or "Copied" for a while after a click."""
        return self.message_delegate.copy_label(index, number)

    def copy_button_at(self, point: QPoint) -> tuple[QModelIndex, int] | None:
        """The message and the number of the code block whose Copy button is at `point`."""
        index = self.indexAt(point)
        if not index.isValid():
            return None
        for number, rect in enumerate(self.copy_buttons(index)):
            if rect.contains(point):
                return index, number
        return None

    def header_text(self, index: QModelIndex) -> tuple[str, str]:
        """What a message's header line says: its speaker, and its byline as it fits."""
        return self.message_delegate.header_text(index, self._option_for(index))

    def version_controls(self, index: QModelIndex) -> tuple[QRect, QRect, QRect] | None:
        """Where a message's "‹", "2/3" and "›" are; None where it has one version."""
        return self.message_delegate.version_controls(index, self._option_for(index))

    def version_step_at(self, point: QPoint) -> tuple[QModelIndex, int] | None:
        """The message and the step (-1, 1) of the version arrow at `point`, where there is
        another version that way."""
        index = self.indexAt(point)
        controls = self.version_controls(index) if index.isValid() else None
        if controls is None:
            return None
        version, versions = index.data(MessageRole.Versions)
        before, _shown, after = controls
        if before.contains(point) and version > 1:
            return index, -1
        if after.contains(point) and version < versions:
            return index, 1
        return None

    def copy_code_block(self, index: QModelIndex, number: int) -> None:
        """Puts the code of a message's code block `number` on the clipboard."""
        blocks = self.message_delegate.code_blocks(index, self._option_for(index))
        QGuiApplication.clipboard().setText(blocks[number].text)
        self.message_delegate.copied = (
            int(index.data(MessageRole.Id)), int(index.data(MessageRole.Revision)), number)
        self._copied_timer.start(COPIED_FOR_MS)
        self.viewport().update()

    def _forget_copied(self) -> None:
        self.message_delegate.copied = None
        self.viewport().update()

    def toggle_reasoning(self, index: QModelIndex) -> bool:
        """Opens or closes a message's thinking; False when it has none."""
        model = self.model()
        if model is None or not index.isValid() or not index.data(MessageRole.Reasoning):
            return False
        opened = bool(index.data(MessageRole.ReasoningExpanded))
        return model.setData(index, not opened, MessageRole.ReasoningExpanded)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        point = event.position().toPoint()
        copy = self.copy_button_at(point)
        toggle = self.toggle_at(point) if copy is None else None
        step = self.version_step_at(point)
        control = toggle is not None or copy is not None or step is not None
        link = "" if control else self.link_at(point)
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if link or control else Qt.CursorShape.ArrowCursor
        )
        if step is not None:
            version, versions = step[0].data(MessageRole.Versions)
            arrow = translated("chat.view", PREVIOUS_VERSION if step[1] < 0 else NEXT_VERSION)
            self.viewport().setToolTip(self.tr("{arrow} ({version_text} shown)")
                .format(arrow=arrow, version_text=version_text(version, versions)))
        elif copy is not None:
            self.viewport().setToolTip(translated("chat.view", COPY_TIP))
        elif toggle is not None:
            opened = toggle.data(MessageRole.ReasoningExpanded)
            self.viewport().setToolTip(translated("chat.view",
                                                  HIDE_THINKING) if opened else translated(
                                                            "chat.view", SHOW_THINKING))
        else:
            self.viewport().setToolTip(link_tip(link) if link else self.tip_at(point))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position().toPoint()
        copy = self.copy_button_at(point)
        if copy is not None:
            self.copy_code_block(*copy)
            return
        toggle = self.toggle_at(point)
        if toggle is not None:
            self.toggle_reasoning(toggle)
            return
        step = self.version_step_at(point)
        if step is not None:
            self.versionRequested.emit(int(step[0].data(MessageRole.Id)), step[1])
            return
        link = self.link_at(point)
        if link:
            self.linkClicked.emit(QUrl(link))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space or Enter on a message opens or closes its thinking."""
        opens = event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if opens and not event.modifiers() and self.toggle_reasoning(self.currentIndex()):
            event.accept()
            return
        super().keyPressEvent(event)
