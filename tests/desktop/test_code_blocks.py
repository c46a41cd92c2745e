"""Code blocks in a reply: coloured after their language, each with a Copy button of its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPalette,
    QTextCharFormat,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import desktop.chat.view as chat_view
from desktop.chat.code_blocks import STREAMING_LIMIT, colours
from desktop.chat.message_model import MessageListModel, MessageRole
from desktop.chat.view import COPIED, COPY, COPY_TIP, ChatView
from engine.chat.store import MessageRecord, MessageStatus
from tests.desktop.conftest import shown_chat_view

# Blank lines, indentation, a tab and trailing spaces: all of it must reach the clipboard.
CODE_ONE = 'def beam(angle: float) -> float:\n\n    return angle * 2\t# doubled  \n    pass'
CODE_TWO = 'systemctl start lamp\necho "$HOME"'
TWO_BLOCKS = (f"Here it is:\n\n```python\n{CODE_ONE}\n```\n\nThen run:\n\n"
              f"```bash\n{CODE_TWO}\n```\n\nThat is all.")


def light_palette() -> QPalette:
    return QPalette(QApplication.style().standardPalette())


def dark_palette() -> QPalette:
    palette = light_palette()
    for role, name in ((QPalette.ColorRole.Window, "#2b2b2b"),
                       (QPalette.ColorRole.WindowText, "#e6e6e6"),
                       (QPalette.ColorRole.Base, "#1e1e1e"),
                       (QPalette.ColorRole.AlternateBase, "#2d2d30"),
                       (QPalette.ColorRole.Text, "#e6e6e6"),
                       (QPalette.ColorRole.Mid, "#555555")):
        palette.setColor(role, QColor(name))
    return palette


@pytest.fixture
def documents(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[QTextDocument]]:
    """The documents the view lays its messages out in, as it makes them."""
    made: list[QTextDocument] = []
    render = chat_view.render_markdown

    def recording(text: str, font: QFont, width: int, palette: QPalette) -> QTextDocument:
        made.append(render(text, font, width, palette))
        return made[-1]

    monkeypatch.setattr(chat_view, "render_markdown", recording)
    yield made


def record(content: str, status: MessageStatus = "done", reasoning: str = "") -> MessageRecord:
    return MessageRecord(2, 1, "assistant", content, time.time(), status, None, None,
                         reasoning=reasoning)


def show(qtbot: QtBot, content: str, palette: QPalette | None = None,
         status: MessageStatus = "done", reasoning: str = "") -> ChatView:
    return shown_chat_view(qtbot, [record(content, status, reasoning)], (640, 520), palette)


def reply(view: ChatView) -> QModelIndex:
    return view.model().index(0, 0)


def fragments(document: QTextDocument) -> dict[str, QTextCharFormat]:
    found: dict[str, QTextCharFormat] = {}
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            found.setdefault(iterator.fragment().text(), iterator.fragment().charFormat())
            iterator += 1
        block = block.next()
    return found


def drawn_in(fmt: QTextCharFormat, palette: QPalette) -> QColor:
    """The colour text of this format is drawn in: its own, or the palette's text colour."""
    if fmt.hasProperty(QTextFormat.Property.ForegroundBrush):
        return fmt.foreground().color()
    return palette.color(QPalette.ColorRole.Text)


def pixels_near(view: ChatView, colour: QColor, tolerance: int = 40) -> int:
    image = view.viewport().grab().toImage()
    count = 0
    for y in range(image.height()):
        for x in range(0, image.width(), 2):
            seen = image.pixelColor(x, y)
            if (abs(seen.red() - colour.red()) + abs(seen.green() - colour.green())
                    + abs(seen.blue() - colour.blue())) <= tolerance:
                count += 1
    return count


def click(qtbot: QtBot, view: ChatView, point: QPoint) -> None:
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


@pytest.mark.parametrize("palette_of", [light_palette, dark_palette], ids=["light", "dark"])
def test_a_python_keyword_is_coloured_apart_from_plain_names(
    qtbot: QtBot, documents: list[QTextDocument], palette_of: Callable[[], QPalette]
) -> None:
    palette = palette_of()
    view = show(qtbot, TWO_BLOCKS, palette)
    qtbot.waitUntil(lambda: bool(documents))
    seen = fragments(documents[-1])
    plain = next(fmt for text, fmt in seen.items() if "angle" in text)  # a name, no colour
    keyword, name = drawn_in(seen["def"], palette), drawn_in(plain, palette)
    assert keyword != name
    assert keyword == colours(palette)["keyword"]
    assert name == palette.color(QPalette.ColorRole.Text)  # a plain name stays plain
    assert drawn_in(seen["return"], palette) == keyword
    # And it is on screen: pixels of the keyword's colour where the code is drawn.
    assert pixels_near(view, keyword) > 5


def contrast(one: QColor, other: QColor) -> float:
    """WCAG's contrast ratio of two colours, 1 to 21."""
    def luminance(colour: QColor) -> float:
        def linear(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
        return (0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF())
                + 0.0722 * linear(colour.blueF()))
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_a_dark_palette_gives_its_own_colours_and_each_set_reads(qtbot: QtBot) -> None:
    light, dark = colours(light_palette()), colours(dark_palette())
    assert light.keys() == dark.keys()
    for kind in light:
        assert light[kind] != dark[kind]
        # Readable (WCAG AA) on the code's shading, the palette's alternate base.
        for palette, colour in ((light_palette(), light[kind]), (dark_palette(), dark[kind])):
            shade = palette.color(QPalette.ColorRole.AlternateBase)
            assert contrast(colour, shade) >= 4.5, (kind, colour.name(), shade.name())


def test_the_view_recolours_code_when_the_palette_turns_dark(
    qtbot: QtBot, documents: list[QTextDocument]
) -> None:
    view = show(qtbot, TWO_BLOCKS, light_palette())
    qtbot.waitUntil(lambda: bool(documents))
    light_keyword = drawn_in(fragments(documents[-1])["def"], light_palette())
    view.setPalette(dark_palette())
    qtbot.waitUntil(lambda: drawn_in(fragments(documents[-1])["def"], dark_palette())
                    == colours(dark_palette())["keyword"])
    assert colours(dark_palette())["keyword"] != light_keyword
    assert pixels_near(view, colours(dark_palette())["keyword"]) > 5


def test_code_in_an_unknown_language_stays_plain_but_can_be_copied(
    qtbot: QtBot, documents: list[QTextDocument]
) -> None:
    view = show(qtbot, "```nosuchlanguage\nif x then y\n```")
    qtbot.waitUntil(lambda: bool(documents))
    assert not any(fmt.hasProperty(QTextFormat.Property.ForegroundBrush)
                   for text, fmt in fragments(documents[-1]).items() if "if" in text)
    [button] = view.copy_buttons(reply(view))
    click(qtbot, view, button.center())
    assert QGuiApplication.clipboard().text() == "if x then y"


def test_colours_land_on_the_right_characters_after_an_emoji(
    qtbot: QtBot, documents: list[QTextDocument]
) -> None:
    """Qt counts an emoji as two characters and Python as one."""
    show(qtbot, "```python\nface = '😀😀'; n = 1\nif n: pass\n```")
    qtbot.waitUntil(lambda: bool(documents))
    seen = fragments(documents[-1])
    keyword = colours(light_palette())["keyword"]
    assert seen["'😀😀'"].foreground().color() == colours(light_palette())["string"]
    assert seen["if"].foreground().color() == keyword
    assert seen["pass"].foreground().color() == keyword


def test_each_copy_button_copies_exactly_its_own_block_and_then_says_copied(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = show(qtbot, TWO_BLOCKS)
    index = reply(view)
    first, second = view.copy_buttons(index)
    assert first.bottom() < second.top()
    assert view.viewport().rect().contains(second)
    assert [view.copy_label(index, n) for n in (0, 1)] == [COPY, COPY]

    click(qtbot, view, second.center())
    assert QGuiApplication.clipboard().text() == CODE_TWO
    assert [view.copy_label(index, n) for n in (0, 1)] == [COPY, COPIED]

    monkeypatch.setattr(chat_view, "COPIED_FOR_MS", 50)
    click(qtbot, view, first.center())
    assert QGuiApplication.clipboard().text() == CODE_ONE
    assert [view.copy_label(index, n) for n in (0, 1)] == [COPIED, COPY]
    # A while later the button says Copy again.
    qtbot.waitUntil(lambda: view.copy_label(index, 0) == COPY)


def test_the_button_sits_on_its_blocks_top_right_above_the_code(qtbot: QtBot) -> None:
    view = show(qtbot, TWO_BLOCKS)
    index = reply(view)
    bubble = view.visualRect(index)
    for button in view.copy_buttons(index):
        assert button.right() > bubble.center().x()
        assert bubble.contains(button)
    # The code starts below the first button: it never covers a line of code.
    first = view.copy_buttons(index)[0]
    above = QPoint(first.center().x(), first.top() - 3)
    assert view.copy_button_at(above) is None
    assert view.copy_button_at(first.center()) == (index, 0)


def test_a_changed_message_shows_copy_again(qtbot: QtBot) -> None:
    view = show(qtbot, TWO_BLOCKS)
    index = reply(view)
    click(qtbot, view, view.copy_buttons(index)[0].center())
    assert view.copy_label(index, 0) == COPIED
    model = view.model()
    assert isinstance(model, MessageListModel)
    model.set_messages(1, [record(TWO_BLOCKS + "\n\nOne more line.")])
    assert view.copy_label(reply(view), 0) == COPY


def test_hovering_a_copy_button_shows_a_hand_and_says_what_it_does(qtbot: QtBot) -> None:
    view = show(qtbot, TWO_BLOCKS)
    button = view.copy_buttons(reply(view))[0]
    qtbot.mouseMove(view.viewport(), button.center())
    qtbot.waitUntil(lambda: view.viewport().toolTip() == COPY_TIP)
    assert view.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor
    qtbot.mouseMove(view.viewport(), QPoint(button.center().x(), button.bottom() + 30))
    qtbot.waitUntil(lambda: view.viewport().toolTip() != COPY_TIP)
    assert view.viewport().cursor().shape() == Qt.CursorShape.ArrowCursor


def test_a_message_without_code_has_no_copy_button(qtbot: QtBot) -> None:
    view = show(qtbot, "Just words, and `inline code`, which is not a block.")
    assert view.copy_buttons(reply(view)) == []
    QGuiApplication.clipboard().setText("before")
    click(qtbot, view, view.visualRect(reply(view)).center())
    assert QGuiApplication.clipboard().text() == "before"


def test_thinking_still_opens_with_a_click_or_space_beside_code(qtbot: QtBot) -> None:
    view = show(qtbot, TWO_BLOCKS, reasoning="First, the function.")
    line = view.thinking_line(reply(view))
    assert line is not None
    click(qtbot, view, line.center())
    assert reply(view).data(MessageRole.ReasoningExpanded)
    # The open thinking moved the code down; its buttons moved with it.
    view.setFocus()
    view.setCurrentIndex(reply(view))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert not reply(view).data(MessageRole.ReasoningExpanded)
    click(qtbot, view, view.copy_buttons(reply(view))[1].center())
    assert QGuiApplication.clipboard().text() == CODE_TWO


def test_a_long_block_still_streaming_is_coloured_once_the_reply_is_done(
    qtbot: QtBot, documents: list[QTextDocument]
) -> None:
    long_code = "\n".join(f"value_{n} = {n}  # a line" for n in range(STREAMING_LIMIT // 20))
    assert len(long_code) > STREAMING_LIMIT
    text = f"```python\n{long_code}\n```"
    view = show(qtbot, text, status="streaming")
    qtbot.waitUntil(lambda: bool(documents))
    assert not fragments(documents[-1])["value_0 = 0  # a line"].hasProperty(
        QTextFormat.Property.ForegroundBrush)
    model = view.model()
    assert isinstance(model, MessageListModel)
    model.set_messages(1, [record(text)])
    view.viewport().update()
    qtbot.waitUntil(lambda: "# a line" in fragments(documents[-1]))
    assert fragments(documents[-1])["# a line"].foreground().color() == (
        colours(light_palette())["comment"])
