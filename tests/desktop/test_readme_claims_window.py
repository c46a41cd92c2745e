"""The README's promises about the window, checked in the real window with the real model:
copying a message and its code blocks, Markdown and code rendering without ever loading an
image, renaming a chat with F2, dropping files, and colours that follow the system palette."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import (
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QPointF,
    QSize,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontInfo,
    QGuiApplication,
    QImage,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

import desktop.chat.view as chat_view
from desktop.chat.list_model import ChatRole
from desktop.main_window import MainWindow
from engine.chat.store import ChatStore, MessageRole
from engine.paths import app_paths
from tests.desktop.conftest import WindowFactory

WAIT_MS = 60_000
MAGENTA = QColor(255, 0, 255)
PICTURE_SIZE = QSize(240, 120)

QUESTION = "How does a lighthouse work? Show me code."
CODE_ONE = "def beam(angle: float) -> float:\n    return angle * 2"
CODE_TWO = "systemctl start lamp"


def reply_text(picture: Path) -> str:
    """A reply as a model writes it: a heading, bold and italic text, four image links (a
    file: URL, an absolute path, a relative one and a web address) and two fenced code
    blocks."""
    return (
        "# Lighthouses\n\n"
        "A lighthouse turns a **Fresnel lens** and *rotates* it.\n\n"
        f"![the lens]({picture.as_uri()})\n\n"
        f"![the tower]({picture})\n\n"
        f"![the map]({picture.name})\n\n"
        "![the keeper](http://example.com/a.png)\n\n"
        f"```python\n{CODE_ONE}\n```\n\n"
        "To start it:\n\n"
        f"```bash\n{CODE_TWO}\n```\n"
    )


def magenta_picture(folder: Path) -> Path:
    """A PNG that would be impossible to miss if the view ever showed it."""
    image = QImage(PICTURE_SIZE, QImage.Format.Format_RGB32)
    image.fill(MAGENTA)
    path = folder / "lens.png"
    assert image.save(str(path))
    return path


def seed_chat(*messages: tuple[MessageRole, str]) -> None:
    """Writes a chat into the data folder's real database before the window opens it."""
    store = ChatStore(app_paths().ensure().database)
    try:
        chat = store.create_chat()
        for role, content in messages:
            store.add_message(chat.id, role, content)
    finally:
        store.close()


def message_index(window: MainWindow, row: int) -> QModelIndex:
    return window.chat_panel.messages.index(row)


def shown(qtbot: QtBot, window: MainWindow, rows: int) -> None:
    """Waits until the chat's messages are laid out in the view."""
    view = window.chat_panel.view
    qtbot.waitUntil(lambda: window.chat_panel.messages.rowCount() == rows, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: all(view.visualRect(message_index(window, r)).height() > 0 for r in range(rows)),
        timeout=WAIT_MS)


def pixels(image: QImage) -> Iterator[QColor]:
    for y in range(image.height()):
        for x in range(image.width()):
            yield image.pixelColor(x, y)


def close_to(a: QColor, b: QColor, tolerance: int = 8) -> bool:
    return (abs(a.red() - b.red()) <= tolerance and abs(a.green() - b.green()) <= tolerance
            and abs(a.blue() - b.blue()) <= tolerance)


# 1. Copying -------------------------------------------------------------------------------


def test_ctrl_c_copies_the_chosen_message_and_ctrl_shift_c_its_code_blocks(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    """README: "copy a message (Ctrl+C) or its code blocks (Ctrl+Shift+C)"."""
    reply = reply_text(magenta_picture(tmp_path))
    seed_chat(("user", QUESTION), ("assistant", reply))
    window = open_window()
    view = window.chat_panel.view
    shown(qtbot, window, 2)
    QGuiApplication.clipboard().setText("before")

    # The reply, chosen with a click: Ctrl+C copies its Markdown as it was written.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(message_index(window, 1)).center())
    assert view.currentIndex().row() == 1
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == reply
    assert window.status.currentMessage() == "Message copied."

    # Ctrl+Shift+C: only the code, both blocks, without their fences or language names.
    qtbot.keyClick(view, Qt.Key.Key_C,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == f"{CODE_ONE}\n\n{CODE_TWO}"
    assert window.status.currentMessage() == "Copied 2 code blocks."

    # The question, chosen: Ctrl+C copies it; it has no code, and Ctrl+Shift+C says so and
    # leaves the clipboard alone.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(message_index(window, 0)).center())
    assert view.currentIndex().row() == 0
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == QUESTION
    qtbot.keyClick(view, Qt.Key.Key_C,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == QUESTION
    assert window.status.currentMessage() == "This message has no code block."


# 2. Markdown, code, and no images -----------------------------------------------------------


def test_a_reply_renders_as_markdown_with_monospaced_code_and_never_loads_its_images(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: "render as Markdown, code blocks in a monospaced font ... the view never loads
    images or other resources"."""
    picture = magenta_picture(tmp_path)
    reply = reply_text(picture)
    seed_chat(("user", QUESTION), ("assistant", reply))
    monkeypatch.chdir(tmp_path)  # where a relative image path would be read from
    # The documents the view lays its messages out in, as it makes them.
    made: list[tuple[str, QTextDocument]] = []
    render = chat_view.render_markdown

    def recording_render(text: str, font: QFont, width: int, palette: QPalette) -> QTextDocument:
        document = render(text, font, width, palette)
        made.append((text, document))
        return document

    monkeypatch.setattr(chat_view, "render_markdown", recording_render)
    window = open_window()
    view = window.chat_panel.view
    shown(qtbot, window, 2)
    seen = view.viewport().grab().toImage()

    # What is on screen: the whole reply fits, and not one pixel of the picture is drawn. (A
    # fetch of the web address would fail the test too: tests/suite_rules.py records any
    # connection beyond loopback.)
    assert view.visualRect(message_index(window, 1)).bottom() < view.viewport().height()
    assert not any(close_to(color, MAGENTA, 30) for color in pixels(seen))

    document = next(d for text, d in made if text == reply)
    plain = document.toPlainText()
    # Formatted, not raw Markdown: no markup characters, the words and the code are there.
    assert "Lighthouses" in plain and "Fresnel lens" in plain and CODE_TWO in plain
    for markup in ("# ", "**", "*rotates*", "```", "![", "](http"):
        assert markup not in plain
    heading = document.begin()
    assert heading.text() == "Lighthouses" and heading.blockFormat().headingLevel() == 1

    formats: dict[str, tuple[QTextCharFormat, QTextBlockFormat]] = {}
    images: list[str] = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.charFormat().isImageFormat():
                images.append(fragment.charFormat().toImageFormat().name())
            else:
                formats[fragment.text()] = (fragment.charFormat(), block.blockFormat())
            iterator += 1
        block = block.next()
    assert formats["Fresnel lens"][0].fontWeight() >= QFont.Weight.Bold
    assert formats["rotates"][0].fontItalic()
    # "def" alone: the code is coloured after its language (desktop/chat/code_blocks.py).
    code_char, code_block = next(f for text, f in formats.items() if text == "def")
    assert QFontInfo(code_char.font()).fixedPitch()
    assert code_block.hasProperty(QTextFormat.Property.BlockCodeFence)
    assert code_block.background().color() != document.begin().blockFormat().background().color()
    assert not QFontInfo(formats["Fresnel lens"][0].font()).fixedPitch()

    # The four images are in the text as images, and none has the picture's data: asking the
    # document for one (which is what laying it out does) reads nothing from disk.
    assert images == [picture.as_uri(), str(picture), picture.name, "http://example.com/a.png"]
    for name in images:
        data = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        assert data is None or (isinstance(data, QImage) and data.size() != PICTURE_SIZE)


# 3. Rename with F2 ----------------------------------------------------------------------------


def test_f2_renames_the_chosen_chat_and_the_new_title_is_saved(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    """README: "rename (F2 or double-click)"."""
    seed_chat(("user", "Plan a trip to Lisbon"))
    seed_chat(("user", "How do lighthouses work?"))
    window = open_window()
    chats = window.sidebar.list
    titles = window.sidebar.chats
    qtbot.waitUntil(lambda: titles.rowCount() == 2, timeout=WAIT_MS)
    chats.setFocus()
    chats.setCurrentIndex(titles.index(1))
    qtbot.waitUntil(lambda: window.chat_panel.messages.rowCount() == 1
                    and window.chat_panel.messages.index(0).data() == "Plan a trip to Lisbon",
                    timeout=WAIT_MS)
    chats.setFocus()

    qtbot.keyClick(chats, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and chats.isAncestorOf(editor)
    assert editor.text() == "Plan a trip to Lisbon"
    editor.selectAll()
    qtbot.keyClicks(editor, "Lisbon in May")
    with qtbot.waitSignal(window.client.chatsListed, timeout=WAIT_MS) as listed:
        qtbot.keyClick(editor, Qt.Key.Key_Return)

    # The list shows the new title where the old one was; the database has it.
    assert [titles.index(r).data() for r in range(2)] == [
        "How do lighthouses work?", "Lisbon in May"]
    saved = {chat.id: chat.title for chat in listed.args[0]}
    assert saved[titles.index(1).data(ChatRole.ChatId)] == "Lisbon in May"
    assert "How do lighthouses work?" in saved.values()


def test_a_double_click_renames_a_chat(qtbot: QtBot, open_window: WindowFactory) -> None:
    """README: "rename (F2 or double-click)"."""
    seed_chat(("user", "Plan a trip to Lisbon"))
    window = open_window()
    chats = window.sidebar.list
    qtbot.waitUntil(lambda: window.sidebar.chats.rowCount() == 1, timeout=WAIT_MS)
    where = chats.visualRect(window.sidebar.chats.index(0)).center()
    # Through the window, as the platform delivers it: press, release, press, double-click.
    handle = window.windowHandle()
    assert handle is not None
    qtbot.mouseDClick(handle, Qt.MouseButton.LeftButton, pos=chats.viewport().mapTo(window, where))
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and chats.isAncestorOf(editor)
    assert editor.text() == "Plan a trip to Lisbon"


# 4. Drops -------------------------------------------------------------------------------------


def drop_files(window: MainWindow, target: QWidget, paths: list[Path]) -> bool:
    """Drags files from a file manager onto `target` and lets go, as the platform tells Qt: the
    events go to the window, and Qt finds the widget under the pointer that accepts drops.
    Returns whether the drop was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    handle = window.windowHandle()
    assert handle is not None
    at = target.mapTo(window, target.rect().center())
    buttons, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction | Qt.DropAction.LinkAction
    enter = QDragEnterEvent(at, actions, mime, buttons, none)
    QCoreApplication.sendEvent(handle, enter)
    move = QDragMoveEvent(at, actions, mime, buttons, none)
    if enter.isAccepted():  # as Qt's platform code does: a move goes on as the enter was taken
        move.setDropAction(enter.dropAction())
        move.accept()
    QCoreApplication.sendEvent(handle, move)
    if not move.isAccepted():
        return False
    drop = QDropEvent(QPointF(at), actions, mime, buttons, none)
    QCoreApplication.sendEvent(handle, drop)
    return drop.isAccepted()


def test_a_file_dropped_on_the_message_box_is_attached(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    """README: "Attach… (or drop a file, ...) attaches a .txt, .md, ... as a chip with its name,
    size and length in tokens"."""
    note = tmp_path / "note.md"
    note.write_text("# Plans\n\nThe meeting is on Thursday at the lighthouse.\n", encoding="utf-8")
    window = open_window()
    panel = window.chat_panel
    assert panel.attachment.isHidden()
    assert drop_files(window, panel.composer, [note])
    qtbot.waitUntil(lambda: panel.attachment.document is not None, timeout=WAIT_MS)
    assert panel.attachment.isVisible()
    chip = panel.attachment.chip.text()
    assert chip.startswith("📄 note.md · ") and chip.endswith(" tokens")
    assert f"{panel.attachment.tokens:,} tokens" in chip and panel.attachment.tokens > 5
    assert panel.composer.toPlainText() == ""  # attached, not pasted in as a path


def answer_next_question(qtbot: QtBot, button_text: str) -> list[str]:
    """Clicks `button_text` in the next modal message box, as a person would; returns the
    questions it answered."""
    asked: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        asked.append(box.text())
        button = next(b for b in box.buttons() if b.text() == button_text)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)  # runs in the box's own event loop, once it is shown
    return asked


def test_a_gguf_dropped_on_the_models_tab_is_imported(
    qtbot: QtBot, open_window: WindowFactory, bundled_model: Path, tmp_path: Path
) -> None:
    """README: "import a .gguf (copied into the models folder or used where it is; drag and
    drop works)"."""
    source = tmp_path / "dropped-model.gguf"
    shutil.copyfile(bundled_model, source)
    window = open_window()
    tab = window.models_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.installed.rowCount() == 1, timeout=WAIT_MS)

    asked = answer_next_question(qtbot, "Copy into Hearth's models folder")
    assert drop_files(window, tab.installed_view, [source])
    assert asked == ["How should Hearth keep dropped-model.gguf?"]
    qtbot.waitUntil(lambda: "imported" in tab.import_label.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.installed.rowCount() == 2, timeout=WAIT_MS)
    names = [tab.installed.index(r, 0).data() for r in range(2)]
    assert any(name.startswith("dropped-model") for name in names), names
    assert (app_paths().models_dir / "dropped-model.gguf").is_file()
    assert not tab.problem_label.isVisible()


# 5. The system palette --------------------------------------------------------------------------

DARK = {
    QPalette.ColorRole.Window: QColor(0x2b, 0x2b, 0x2b),
    QPalette.ColorRole.WindowText: QColor(0xd8, 0xd8, 0xd8),
    QPalette.ColorRole.Base: QColor(0x24, 0x24, 0x24),
    QPalette.ColorRole.AlternateBase: QColor(0x38, 0x38, 0x38),
    QPalette.ColorRole.Text: QColor(0xd8, 0xd8, 0xd8),
    QPalette.ColorRole.PlaceholderText: QColor(0x90, 0x90, 0x90),
    QPalette.ColorRole.Button: QColor(0x35, 0x35, 0x35),
    QPalette.ColorRole.ButtonText: QColor(0xd8, 0xd8, 0xd8),
    QPalette.ColorRole.Mid: QColor(0x60, 0x60, 0x60),
    QPalette.ColorRole.Light: QColor(0x50, 0x50, 0x50),
    QPalette.ColorRole.Midlight: QColor(0x45, 0x45, 0x45),
    QPalette.ColorRole.Dark: QColor(0x28, 0x28, 0x28),
    QPalette.ColorRole.Shadow: QColor(0x24, 0x24, 0x24),
    QPalette.ColorRole.Highlight: QColor(0x3d, 0x6e, 0xa8),
    QPalette.ColorRole.HighlightedText: QColor(0xd8, 0xd8, 0xd8),
    QPalette.ColorRole.Link: QColor(0x7c, 0xb0, 0xe8),
}
DARKEST = 0x24  # no colour in DARK is darker than this, none lighter than 0xe8
LIGHTEST = 0xe8


@pytest.fixture
def dark_system_palette() -> Iterator[QPalette]:
    """The desktop switched to a dark theme while Hearth runs; the light one comes back after."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    had_own = QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_SetPalette)
    before = QPalette(QApplication.palette())
    dark = QPalette()
    for role, color in DARK.items():
        dark.setColor(role, color)
    yield dark
    QApplication.setPalette(before if had_own else QPalette())


def test_the_window_follows_a_dark_system_palette(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path,
    dark_system_palette: QPalette,
) -> None:
    """README: "the colours follow the system palette (light or dark)"."""
    reply = (f"Here is **the code**:\n\n```python\n{CODE_ONE}\n```\n\n"
             "It doubles the angle.\n")
    seed_chat(("user", QUESTION), ("assistant", reply))
    window = open_window()
    view = window.chat_panel.view
    shown(qtbot, window, 2)
    light = view.viewport().grab().toImage()
    assert any(color.lightness() > LIGHTEST for color in pixels(light))  # it was light

    QApplication.setPalette(dark_system_palette)
    qtbot.waitUntil(lambda: view.palette().color(QPalette.ColorRole.Base) == DARK[
        QPalette.ColorRole.Base], timeout=WAIT_MS)
    seen = view.viewport().grab().toImage()

    # The chat's background, the question's bubble and the reply's text take the dark colours.
    base = DARK[QPalette.ColorRole.Base]
    assert seen.pixelColor(2, seen.height() - 2) == base
    question = view.visualRect(message_index(window, 0))
    bubble = question.adjusted(chat_view.PADDING, chat_view.PADDING // 2,
                               -chat_view.PADDING, -chat_view.PADDING // 2)
    assert seen.pixelColor(bubble.right() - 20, bubble.center().y()) == DARK[
        QPalette.ColorRole.AlternateBase]
    answer = view.visualRect(message_index(window, 1)).intersected(seen.rect())
    text = DARK[QPalette.ColorRole.Text]
    assert any(close_to(seen.pixelColor(x, y), text)
               for y in range(answer.top(), answer.bottom())
               for x in range(answer.left(), answer.right()))
    # Nothing is left in the light palette's colours: no white code shading, no black text.
    colors = list(pixels(seen))
    assert min(color.lightness() for color in colors) >= DARKEST - 2
    assert max(color.lightness() for color in colors) <= LIGHTEST + 2

    # The message box and the chat list follow too.
    composer = window.chat_panel.composer.viewport().grab().toImage()
    assert composer.pixelColor(composer.width() - 3, composer.height() - 3) == base
    chats = window.sidebar.list.viewport().grab().toImage()
    assert chats.pixelColor(chats.width() - 3, chats.height() - 3) == base
