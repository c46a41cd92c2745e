"""Fenced code in a reply's document: found, given a header line, coloured by its language.

Qt's Markdown reader makes each line of a fenced block one text block, marked with the fence
(BlockCodeFence) and the language after it (BlockCodeLanguage). `prepare_code` groups those
lines into code blocks, puts a header line in the code's shading above each (the language's
name on the left; the chat view paints a Copy button on its right, so the button never covers
code), and colours the code with Pygments' lexer for the language: a light or a dark set of
colours, after the palette's Base. A block without a known language stays plain monospace
(Pygments' `guess_lexer` tries every lexer: a third of a second, and often wrong).

It runs once per document build (the view caches documents by revision and width). What a
lexer makes of a block is kept for the blocks seen last, so a streaming reply's finished
blocks are not lexed again at each update; a block still growing is, and is left plain while
it is longer than STREAMING_LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Token, _TokenType
from pygments.util import ClassNotFound
from PySide6.QtGui import (
    QColor,
    QFont,
    QPalette,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

# Marks a code block's header line in its block format.
HEADER = QTextFormat.Property.UserProperty + 1
# Characters of a growing block that are coloured at each streamed update (~50 ms apart):
# lexing and colouring 4,000 characters of Python took 7 ms on a 2-core machine, 18,000 took 40.
STREAMING_LIMIT = 4_000

_KINDS: dict[_TokenType, str] = {
    Token.Comment: "comment",
    Token.Comment.Preproc: "keyword",
    Token.Keyword: "keyword",
    Token.Keyword.Constant: "constant",
    Token.Keyword.Type: "type",
    Token.Operator.Word: "keyword",
    Token.Name.Builtin: "constant",
    Token.Name.Function: "function",
    Token.Name.Decorator: "function",
    Token.Name.Class: "type",
    Token.Name.Exception: "type",
    Token.Name.Variable: "type",
    Token.Name.Constant: "constant",
    Token.Name.Attribute: "constant",
    Token.Name.Tag: "tag",
    Token.Literal: "constant",
    Token.String: "string",
    Token.String.Escape: "constant",
    Token.String.Interpol: "constant",
    Token.Generic.Deleted: "deleted",
    Token.Generic.Inserted: "inserted",
    Token.Generic.Heading: "function",
    Token.Generic.Subheading: "constant",
    Token.Generic.Prompt: "comment",
}
# GitHub's colours for code (Primer's "prettylights"), for light and for dark backgrounds: each
# has a contrast of 4.5 or more (WCAG AA) on a code block's shading in a light or dark palette.
_LIGHT = {"comment": "#59636e", "keyword": "#cf222e", "constant": "#0550ae",
          "function": "#8250df", "type": "#953800", "string": "#0a3069", "tag": "#116329",
          "deleted": "#82071e", "inserted": "#116329"}
_DARK = {"comment": "#9198a1", "keyword": "#ff7b72", "constant": "#79c0ff",
         "function": "#d2a8ff", "type": "#ffa657", "string": "#a5d6ff", "tag": "#7ee787",
         "deleted": "#ffa198", "inserted": "#7ee787"}

_Span = tuple[int, int, str]  # start, end (Python string indices) and kind of coloured code


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block of a document, as laid out by `prepare_code`."""

    header: int  # the number of its header line's text block
    language: str  # as written after the fence ("" for none)
    text: str  # the code, without the fences: what Copy copies


def colours(palette: QPalette) -> dict[str, QColor]:
    """The colour of each kind of token, for the palette's background."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    return {kind: QColor(name) for kind, name in (_DARK if dark else _LIGHT).items()}


def prepare_code(document: QTextDocument, palette: QPalette, font: QFont,
                 streaming: bool = False) -> tuple[CodeBlock, ...]:
    """Heads and colours the fenced code blocks of a laid-out Markdown document."""
    groups = _code_groups(document)
    palette_colours = colours(palette)
    label = QTextCharFormat()
    label.setFont(font)
    label.setForeground(palette.color(QPalette.ColorRole.PlaceholderText))
    cursor = QTextCursor(document)
    cursor.beginEditBlock()  # one layout pass for all of it, not one per change
    found: list[CodeBlock] = []
    # From the last block up: a header moves the positions after it, not those before.
    for lines in reversed(groups):
        text = "\n".join(line.text() for line in lines)
        language = str(lines[0].blockFormat().property(QTextFormat.Property.BlockCodeLanguage)
                       or "")
        if not streaming or len(text) <= STREAMING_LIMIT or lines is not groups[-1]:
            _colour(cursor, lines[0].position(), text, language, palette_colours)
        number = lines[0].blockNumber()  # the header's, once it is inserted above the code
        _insert_header(cursor, lines[0], language, label)
        found.append(CodeBlock(number, language, text))
    cursor.endEditBlock()
    # Each header above a block moved it down by one text block.
    return tuple(CodeBlock(block.header + index, block.language, block.text)
                 for index, block in enumerate(reversed(found)))


def _code_groups(document: QTextDocument) -> list[list[QTextBlock]]:
    """The lines of each fenced block. Consecutive lines with the same fence, language and
    indentation are one block (two fenced blocks with nothing between them read as one)."""
    groups: list[list[QTextBlock]] = []
    previous: tuple[object, ...] | None = None
    block = document.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.hasProperty(QTextFormat.Property.BlockCodeFence):
            key = (fmt.property(QTextFormat.Property.BlockCodeFence),
                   fmt.property(QTextFormat.Property.BlockCodeLanguage),
                   fmt.indent(), fmt.leftMargin())
            if key == previous:
                groups[-1].append(block)
            else:
                groups.append([block])
            previous = key
        else:
            previous = None
        block = block.next()
    return groups


def _insert_header(cursor: QTextCursor, first: QTextBlock, language: str,
                   label: QTextCharFormat) -> None:
    """A line above the code, in its shading, with the language's name."""
    header_format = QTextBlockFormat(first.blockFormat())
    header_format.setProperty(HEADER, True)
    cursor.setPosition(first.position())
    # The code moves into the new block with its formats; the block left empty is the header.
    cursor.insertBlock(first.blockFormat(), first.charFormat())
    cursor.movePosition(QTextCursor.MoveOperation.PreviousBlock)
    cursor.setBlockFormat(header_format)
    cursor.setBlockCharFormat(label)
    cursor.insertText(language.split(maxsplit=1)[0] if language.strip() else "", label)


def _colour(cursor: QTextCursor, start: int, code: str, language: str,
            palette_colours: dict[str, QColor]) -> None:
    spans = _spans(language.split(maxsplit=1)[0].lower() if language.strip() else "", code)
    if not spans:
        return
    offsets = _utf16_offsets(code)
    formats: dict[str, QTextCharFormat] = {}
    for begin, end, kind in spans:
        fmt = formats.get(kind)
        if fmt is None:
            fmt = formats[kind] = QTextCharFormat()
            fmt.setForeground(palette_colours[kind])
        cursor.setPosition(start + (offsets[begin] if offsets else begin))
        cursor.setPosition(start + (offsets[end] if offsets else end),
                           QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(fmt)


def _utf16_offsets(code: str) -> list[int] | None:
    """Where each character starts in Qt's UTF-16 text; None where that is where it is in
    Python's (no character beyond the Basic Multilingual Plane, as an emoji is)."""
    if all(ord(char) <= 0xFFFF for char in code):
        return None
    offsets = [0]
    for char in code:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets


@lru_cache(maxsize=64)
def _spans(language: str, code: str) -> tuple[_Span, ...]:
    """The coloured stretches of `code`, neighbours of one colour joined (across spaces)."""
    lexer = _lexer(language)
    if lexer is None:
        return ()
    spans: list[_Span] = []
    for index, token, value in lexer.get_tokens_unprocessed(code):
        kind = _kind(token)
        if kind is None or not value:
            continue
        end = index + len(value)
        if spans and spans[-1][2] == kind and not code[spans[-1][1]:index].strip():
            spans[-1] = (spans[-1][0], end, kind)
        else:
            spans.append((index, end, kind))
    return tuple(spans)


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    if not language:
        return None
    try:
        # Leading and trailing newlines stay, so a token's index is the character's.
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=256)
def _kind(token: _TokenType) -> str | None:
    while token is not None:
        kind = _KINDS.get(token)
        if kind is not None:
            return kind
        token = token.parent
    return None
