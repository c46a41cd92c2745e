"""The conversation: a list view whose delegate renders each message's Markdown.

Each message is laid out once per change into a cached QTextDocument; while a reply streams,
only that one document is rebuilt (at the worker's ~50 ms cadence), never the whole chat.
The document never loads resources, so a model's Markdown cannot make the app fetch anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontDatabase,
    QMouseEvent,
    QPainter,
    QPalette,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop.chat.message_model import SPEAKERS, MessageRole

_Index = QModelIndex | QPersistentModelIndex

PADDING = 10
GAP = 6
EMPTY_CHAT_NOTE = "Ask anything. The model runs on this computer; nothing leaves it."
VIEW_START_NOTE = "The model's view begins here: messages above are outside its context window."


class InertTextDocument(QTextDocument):
    """A text document that loads nothing: no images, no files, no network."""

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        return None


def render_markdown(text: str, font: QFont, width: int, palette: QPalette) -> QTextDocument:
    document = InertTextDocument()
    document.setDefaultFont(font)
    document.setDocumentMargin(0)
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
    for index, line in enumerate(lines[:-1]):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.strip() and lines[index + 1].strip():
            lines[index] = line + "  "  # two trailing spaces: a hard line break
    return "\n".join(lines)


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
            cursor = QTextCursor(block)
            cursor.select(QTextCursor.SelectionType.BlockUnderCursor)
            code = QTextBlockFormat(fmt)
            code.setBackground(shade)
            code.setNonBreakableLines(False)  # a bubble cannot scroll sideways: wrap long lines
            cursor.setBlockFormat(code)
            char = cursor.charFormat()
            char.setFont(mono)
            cursor.setCharFormat(char)
        block = block.next()


class MessageDelegate(QStyledItemDelegate):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[int, tuple[int, int, QTextDocument]] = {}

    def clear_cache(self) -> None:
        self._cache.clear()

    def _document(self, index: _Index, option: QStyleOptionViewItem) -> QTextDocument:
        message_id = int(index.data(MessageRole.Id))
        revision = int(index.data(MessageRole.Revision))
        width = self._text_width(option)
        cached = self._cache.get(message_id)
        if cached and cached[0] == revision and cached[1] == width:
            return cached[2]
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if not text and index.data(MessageRole.Status) == "streaming":
            text = "…"
        document = render_markdown(text, option.font, width, option.palette)
        self._cache[message_id] = (revision, width, document)
        return document

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
        document = self._document(index, option)
        height = (
            self._note_height(index, option) + self._header_height(option)
            + int(document.size().height()) + 3 * PADDING
        )
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
        header = self._header(self._bubble(index, option), option)
        inside = QPointF(point - QPoint(header.x(), header.bottom()))
        return self._document(index, option).documentLayout().anchorAt(inside)

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

        header_font = QFont(option.font)
        header_font.setBold(True)
        painter.setFont(header_font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        header = self._header(bubble, option)
        status = index.data(MessageRole.Status)
        suffix = {"stopped": "  · stopped", "error": "  · the model stopped unexpectedly",
                  "streaming": "  · writing…"}
        painter.drawText(header, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         SPEAKERS.get(speaker, speaker) + suffix.get(str(status), ""))

        document = self._document(index, option)
        painter.translate(header.x(), header.bottom())
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.Text))
        document.documentLayout().draw(painter, context)
        painter.restore()

    @staticmethod
    def _paint_view_start(painter: QPainter, rect: QRect, palette: QPalette) -> None:
        accent = QColor(palette.color(QPalette.ColorRole.Highlight))
        painter.setPen(accent)
        middle = rect.y() + rect.height() // 4
        painter.drawLine(rect.x() + PADDING, middle, rect.right() - PADDING, middle)
        painter.drawText(rect.adjusted(PADDING, rect.height() // 3, -PADDING, 0),
                         int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                         VIEW_START_NOTE)


class ChatView(QListView):
    """Follows a streaming reply while the reader is at the bottom; stays put otherwise.

    Links in a message do nothing by themselves: hovering shows where one goes, and a click
    only asks (`linkClicked`) — the window confirms with the person before anything opens.
    """

    linkClicked = Signal(QUrl)

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
        self.setAccessibleName("Conversation")
        self.setSpacing(2)
        self._follow = True
        self.setMouseTracking(True)
        self.verticalScrollBar().valueChanged.connect(self._remember_position)
        self.verticalScrollBar().rangeChanged.connect(self._keep_following)

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

    def link_at(self, point: QPoint) -> str:
        index = self.indexAt(point)
        if not index.isValid():
            return ""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        return self.message_delegate.link_at(index, option, point)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        link = self.link_at(event.position().toPoint())
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.ArrowCursor
        )
        self.viewport().setToolTip(link)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        link = self.link_at(event.position().toPoint())
        if link and event.button() == Qt.MouseButton.LeftButton:
            self.linkClicked.emit(QUrl(link))

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect(), int(Qt.AlignmentFlag.AlignCenter),
                             EMPTY_CHAT_NOTE)
