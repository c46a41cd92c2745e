"""Reading documents a person opens or pastes: plain text, Markdown, HTML, PDF and Word files.

Every reader returns the same normalised text (no NUL bytes, `\\n` line endings, no runs of
blank lines), and every way a file can fail ends in a `DocumentError` whose message names the
file and says what went wrong, in words a person can act on.
"""

from __future__ import annotations

import bisect
import codecs
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

from charset_normalizer import from_bytes

from engine.errors import DocumentError
from engine.text import Text

log = logging.getLogger(__name__)

DocumentKind = Literal["text", "markdown", "html", "pdf", "docx", "pasted"]

MAX_FILE_BYTES = 50 * 1024 * 1024
# About 2,000 pages. Reading, splitting and counting stay within seconds and memory below it;
# far above it a summary on a laptop would take days, not hours.
MAX_TEXT_CHARS = 5_000_000
# A .docx is a zip: its main part may not unpack to more than this (a zip bomb would).
MAX_DOCX_XML_BYTES = 200 * 1024 * 1024

SUFFIX_KINDS: dict[str, DocumentKind] = {
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".docx": "docx",
}

# Files that are certainly not text, by their first bytes, named the way a person knows them.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF file"), (b"PK\x03\x04", "a zip archive"), (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"), (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"),
    (b"\xd0\xcf\x11\xe0", "an old-format Office file (or an encrypted one)"),
    (b"GGUF", "a model file"), (b"SQLite format 3\x00", "a database"),
    (b"ID3", "an MP3 file"), (b"OggS", "an audio file"), (b"RIFF", "a media file"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    size_bytes: int  # of the file as opened, or of the pasted text in UTF-8
    kind: DocumentKind
    encoding: str | None = None  # for text files: the encoding they were decoded from
    # For a PDF: where each page starts in `text` (page n at index n - 1; a page without text
    # starts where the text before it ends), so a passage can say its page.
    page_starts: tuple[int, ...] = ()
    # For a text file: the file's line number of each line of `text` (normalising drops blank
    # lines), so a passage cites the line an editor shows; empty when they are the same.
    source_lines: tuple[int, ...] = ()

    def line_of(self, offset: int) -> int:
        """The line (from 1) of a character of `text`: in the file for a text file, on its page
        for a PDF, else in the text."""
        if self.page_starts:
            page_start = self.page_starts[bisect.bisect_right(self.page_starts, offset) - 1]
            return self.text.count("\n", page_start, offset) + 1
        index = self.text.count("\n", 0, offset)
        return self.source_lines[index] if self.source_lines else index + 1

    @property
    def characters(self) -> int:
        return len(self.text)


def normalize_text(text: str) -> str:
    """One form for every source: `\\n` line endings, no control characters or BOMs, no
    trailing spaces, at most one blank line in a row, no blank start or end."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _CONTROL.sub("", text.replace("\ufeff", ""))
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def pasted_document(text: str, name: str = "Pasted text") -> Document:
    """A document from pasted text, normalised as a file's would be."""
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(_too_long(name, len(text)))
    normalized = normalize_text(text)
    if not normalized:
        raise DocumentError(Text("The pasted text is empty."))
    return Document(name, normalized, len(text.encode("utf-8", "surrogatepass")), "pasted")


def read_document(path: Path) -> Document:
    """Reads a .txt, .md, .html, .pdf or .docx file (other names are tried as text)."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError(Text("{name} does not exist.", name=name)) from None
    except OSError as error:
        raise DocumentError(Text("{name} cannot be opened: {reason}.",
                                 name=name, reason=error.strerror or error)) from None
    if path.is_dir():
        raise DocumentError(Text("{name} is a folder, not a document.", name=name))
    if size > MAX_FILE_BYTES:
        raise DocumentError(
            Text("{name} is {megabytes}; Hearth opens documents up to {limit}, so that "
                 "reading one cannot exhaust the memory. Split it or save the part you need.",
                 name=name, megabytes=_megabytes(size), limit=_megabytes(MAX_FILE_BYTES))
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(Text("{name} cannot be read: {reason}.",
                                 name=name, reason=error.strerror or error)) from None
    kind = SUFFIX_KINDS.get(path.suffix.lower()) or _sniff(data)
    encoding: str | None = None
    page_starts: tuple[int, ...] = ()
    raw = ""
    if kind == "pdf":
        text, page_starts = _pdf_text(name, path)
    elif kind == "docx":
        text = _docx_text(name, data)
    else:
        raw, encoding = decode_text(name, data)
        text = _html_text(raw) if kind == "html" else raw
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(_too_long(name, len(text)))
    normalized = normalize_text(text)
    if not normalized:
        raise DocumentError(Text("{name} contains no text.", name=name))
    lines = _source_lines(raw, normalized) if kind in ("text", "markdown") else ()
    return Document(name, normalized, size, kind, encoding, page_starts, lines)


def _source_lines(raw: str, normalized: str) -> tuple[int, ...]:
    """For each line of the normalised text, its line number in the decoded file. Normalising
    only drops blank lines and changes spaces and control characters within lines, so each
    non-blank line is found again, in order; a blank line takes the number after the last."""
    raw_lines = [_CONTROL.sub("", line.replace("\ufeff", "")).strip()
                 for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    numbers: list[int] = []
    at = 0
    for line in normalized.split("\n"):
        wanted = line.strip()
        if wanted:
            found = next((i for i in range(at, len(raw_lines)) if raw_lines[i] == wanted), None)
            if found is not None:  # not found: a line a form feed split; it keeps the count
                at = found
            numbers.append(at + 1)
            at += found is not None
        else:
            numbers.append(at + 1)
    return tuple(numbers)


def decode_text(name: str, data: bytes) -> tuple[str, str]:
    """Text and the encoding it was in: a byte-order mark, else UTF-8, else detected."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec.replace("-sig", "")
            except UnicodeDecodeError as error:
                raise DocumentError(
                    Text("{name} starts with a {codec} byte-order mark but is not valid {codec} "
                         "(at byte {start:,}).",
                         name=name, codec=codec.upper(), start=error.start)
                ) from None
    binary = _binary_kind(data)
    if binary:
        raise DocumentError(Text("{name} is not a text document: it looks like {binary}.",
                                 name=name, binary=binary))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    matches = from_bytes(data[:1_000_000])
    best = matches.best()
    if best is None:
        raise DocumentError(
            Text("{name} is not a text document, or its encoding could not be recognised (it is "
                 "not UTF-8, UTF-16 or a common legacy encoding). Save it as UTF-8 and try again.",
                 name=name)
        )
    encoding = best.encoding
    # Detection ties between Western single-byte encodings (cp1250 vs cp1252 read French
    # alike by its statistics); cp1252 is by far the commonest of them, so it wins a near tie.
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos + 0.025:
            encoding = "cp1252"
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        raise DocumentError(
            Text("{name} looked like {encoding} text but does not decode as it. Save it as UTF-8 "
                 "and try again.",
                 name=name, encoding=encoding)
        ) from None


def _binary_kind(data: bytes) -> str | None:
    """What a file is when it is certainly not text; None when it may be text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    head = data[:8192]
    if not head:
        return None
    # A stray NUL or escape is noise in a text (normalisation drops it); many are not text
    # (random bytes are 11% control codes). UTF-16 or UTF-32 without a byte-order mark, half
    # NULs, is refused too: too rare to guess at.
    controls = len(_CONTROL.findall(head.decode("latin-1")))
    return "binary data" if controls / len(head) > 0.05 else None


def _sniff(data: bytes) -> DocumentKind:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and b"word/document.xml" in data[:65536]:
        return "docx"
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


def _megabytes(size: int) -> Text:
    if size >= 1024 * 1024:
        return Text("{megabytes:,.0f} MB", megabytes=size / (1024 * 1024))
    return Text("{count:,} bytes", count=size)


def _too_long(name: str, characters: int) -> Text:
    return Text("{name} has {characters:,} characters of text; Hearth summarises up to {most:,} "
                "(about 2,000 pages), so that splitting and counting it stay quick. Split it "
                "into smaller documents.", name=name, characters=characters, most=MAX_TEXT_CHARS)


# --- HTML ---------------------------------------------------------------------------------

_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "iframe"})
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "dt", "dd", "main", "nav",
    "aside", "figure", "figcaption", "title", "form", "details", "summary", "address",
})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextExtractor(HTMLParser):
    """Visible text: scripts, styles and the head dropped, blocks on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []
        self._in_pre = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIPPED_TAGS:
            self._skipping.append(tag)
        elif tag == "pre":
            self._in_pre += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif self._skipping and tag == self._skipping[-1]:
            self._skipping.pop()
        elif tag == "pre" and self._in_pre:
            self._in_pre -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif not self._skipping:
            self.parts.append(data if self._in_pre else _SPACES.sub(" ", data))

    @property
    def title(self) -> str:
        return _SPACES.sub(" ", "".join(self._title)).strip()


def _html_text(source: str) -> str:
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    body = "\n".join(line for line in lines if line)
    title = parser.title
    return f"{title}\n\n{body}" if title and not body.startswith(title) else body


# --- PDF ----------------------------------------------------------------------------------


def _pdf_text(name: str, path: Path) -> tuple[str, tuple[int, ...]]:
    """The text of every page, normalised (so normalising it again changes nothing), and
    where each page starts in it."""
    # Imported here: pypdf takes a noticeable time to import and only PDFs need it.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # An empty user password is common (the owner password only restricts printing);
            # such files open without asking anything in every viewer, so here too.
            try:
                unlocked = bool(reader.decrypt(""))
            except (DependencyError, NotImplementedError):
                unlocked = False
            if not unlocked:
                raise DocumentError(
                    Text("{name} is encrypted with a password, so its text cannot be read. Open "
                         "it in a PDF viewer with the password and save an unprotected copy.",
                         name=name)
                )
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except FileNotDecryptedError:
        raise DocumentError(
            Text("{name} is encrypted with a password, so its text cannot be read. Open it in a "
                 "PDF viewer with the password and save an unprotected copy.",
                 name=name)
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, AssertionError, ZeroDivisionError) as error:
        # pypdf reports a broken or hostile file through many exception types.
        log.info("pypdf could not read %s: %r", path, error)
        raise DocumentError(Text("{name} is damaged or not a PDF file that can be read.",
                                 name=name)) from None
    if not pages:
        raise DocumentError(Text("{name} has no pages.", name=name))
    if not any(page.strip() for page in pages):
        raise DocumentError(
            Text("{name} has no text layer: its {pages:,} page(s) are images, such as a scan. Run "
                 "it through OCR (text recognition) first, then open the result.",
                 name=name, pages=len(pages))
        )
    text, starts = "", []
    for page in map(normalize_text, pages):
        starts.append(len(text) + 2 if text and page else len(text))
        if page:
            text = f"{text}\n\n{page}" if text else page
    return text, tuple(starts)


# --- Word (.docx) ---------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(name: str, data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError(
            Text("{name} is password-protected or in the old Word format (.doc); open it in a "
                 "word processor and save it as an unprotected .docx.",
                 name=name)
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML_BYTES:
                raise DocumentError(
                    Text("{name} unpacks to {megabytes} of text markup, more than the "
                         "{limit} Hearth reads.",
                         name=name, megabytes=_megabytes(info.file_size),
                         limit=_megabytes(MAX_DOCX_XML_BYTES))
                )
            xml = archive.read(info)
    except DocumentError:
        raise
    except KeyError:
        raise DocumentError(Text("{name} is a zip file but not a Word document.",
                                 name=name)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError):
        raise DocumentError(Text("{name} is damaged or not a Word document.", name=name)) from None
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        raise DocumentError(Text("{name} is damaged: its text part is not valid XML.",
                                 name=name)) from None
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        pieces = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t" and node.text:
                pieces.append(node.text)
            elif node.tag == f"{_W}tab":
                pieces.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                pieces.append("\n")
        paragraphs.append("".join(pieces))
    return "\n".join(paragraphs)
