"""Reading documents: real speeches in every format, other encodings, and every refusal."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from engine.documents.reading import (
    MAX_FILE_BYTES,
    MAX_TEXT_CHARS,
    normalize_text,
    pasted_document,
    read_document,
)
from engine.errors import DocumentError
from tests.engine.documents_data import (
    convention_speeches,
    docx_bytes,
    encrypted_pdf_bytes,
    pdf_bytes,
    speech_lines,
)


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    message = str(caught.value)
    assert "\n" not in message and message.endswith("."), message
    return message


def test_a_real_speech_reads_back_whole_from_utf8_text(tmp_path: Path) -> None:
    speech = convention_speeches()["democrat"][0]
    document = read_document(write(tmp_path, "clinton-2012.txt", speech.encode("utf-8")))
    assert document.text == normalize_text(speech)
    assert document.text.startswith("(Cheers, applause.)\nBILL CLINTON: Thank you very much.")
    assert document.text.endswith("God bless you and God bless America. (Cheers, applause.)")
    assert (document.name, document.kind, document.encoding) == ("clinton-2012.txt", "text",
                                                                  "utf-8")
    assert document.size_bytes == len(speech.encode("utf-8"))


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_unicode_with_a_byte_order_mark_is_decoded(tmp_path: Path, codec: str) -> None:
    text = speech_lines(12) + "\nÜber façades — “quoted” 東京 🙂"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data  # the plain -be codec writes no mark; files carry one
    document = read_document(write(tmp_path, "speech.md", data))
    assert document.text == normalize_text(text)
    assert document.kind == "markdown"


def test_windows_1252_text_is_detected_and_decoded(tmp_path: Path) -> None:
    text = (
        "Le café du coin ouvre à 7 h. Déjà, les habitués commandent un crème et un croissant.\n"
        "« C'est la meilleure façon de commencer la journée », dit Amélie, qui travaille à "
        "l'hôpital.\nPrices: 2,50 € for an espresso — a “fair” price, she says. Naïve? Perhaps."
    )
    document = read_document(write(tmp_path, "notes.txt", text.encode("cp1252")))
    assert document.text == text
    assert document.encoding == "cp1252"


def test_a_cyrillic_legacy_encoding_is_detected(tmp_path: Path) -> None:
    text = "Привет, как дела? Это тест кодировки. Москва — столица России, большой город."
    document = read_document(write(tmp_path, "note.txt", text.encode("cp1251")))
    assert document.text == text


def test_html_keeps_the_visible_text_only(tmp_path: Path) -> None:
    page = """<!DOCTYPE html><html><head><title>Convention &amp; Speech</title>
    <style>body { color: red }</style><script>var secret = "do not show";</script></head>
    <body><nav>Home</nav><h1>Remarks</h1><p>First   paragraph,
    wrapped.</p><p>Caf&eacute; &lt;tag&gt; &#8212; done</p><ul><li>one</li><li>two</li></ul>
    <pre>  keep   spacing</pre><noscript>enable scripts</noscript></body></html>"""
    document = read_document(write(tmp_path, "page.html", page.encode("utf-8")))
    assert document.kind == "html"
    assert document.text.split("\n") == [
        "Convention & Speech", "", "Home", "Remarks", "First paragraph, wrapped.",
        "Café <tag> — done", "one", "two", "keep   spacing",
    ]


def test_pdf_text_layer_is_read_page_by_page(tmp_path: Path) -> None:
    first, second = speech_lines(3), speech_lines(3, skip=3)
    path = write(tmp_path, "speech.pdf", pdf_bytes([first[:90], None, second[:90]]))
    document = read_document(path)
    assert document.kind == "pdf"
    assert document.text == f"{first[:90]}\n\n{second[:90]}"


def test_a_pdf_with_only_images_says_it_has_no_text_layer(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, "scan.pdf", pdf_bytes([None, None])))
    assert message == (
        "scan.pdf has no text layer: its 2 page(s) are images, such as a scan. Run it through "
        "OCR (text recognition) first, then open the result."
    )


def test_a_password_protected_pdf_is_refused_plainly(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, "locked.pdf", encrypted_pdf_bytes("Secret plan", "pw")))
    assert message.startswith("locked.pdf is encrypted with a password")


def test_a_pdf_encrypted_without_a_user_password_opens(tmp_path: Path) -> None:
    # Owner-password-only files (printing restricted) open in every viewer without a prompt.
    path = write(tmp_path, "restricted.pdf", encrypted_pdf_bytes("Open to read", ""))
    assert read_document(path).text == "Open to read"


def test_a_damaged_pdf_is_refused_plainly(tmp_path: Path) -> None:
    data = pdf_bytes(["Hello"])
    message = refusal(write(tmp_path, "cut.pdf", data[: len(data) // 3]))
    assert message == "cut.pdf is damaged or not a PDF file that can be read."


def test_docx_paragraphs_are_read(tmp_path: Path) -> None:
    paragraphs = [*speech_lines(5).split("\n"), "Tabs & <marks> stay text"]
    document = read_document(write(tmp_path, "speech.docx", docx_bytes(paragraphs)))
    assert document.kind == "docx"
    assert document.text == "\n".join(paragraphs)


def test_a_zip_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    archive_path = tmp_path / "photos.docx"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("holiday.txt", "not word")
    assert refusal(archive_path) == "photos.docx is a zip file but not a Word document."
    damaged = write(tmp_path, "broken.docx", docx_bytes(["Hello"])[:60])
    assert refusal(damaged) == "broken.docx is damaged or not a Word document."


def test_an_old_or_encrypted_word_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)))
    assert "password-protected or in the old Word format" in message


@pytest.mark.parametrize(
    ("name", "data", "looks_like"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n" + os.urandom(256), "a PNG image"),
        ("program.md", b"\x7fELF\x02\x01\x01" + bytes(64), "a program"),
        ("noise.txt", bytes(range(256)) * 8, "binary data"),
        ("model.txt", b"GGUF\x03\x00\x00\x00" + bytes(64), "a model file"),
        ("no-mark.txt", "UTF-16 without a byte-order mark".encode("utf-16-le"), "binary data"),
    ],
)
def test_a_file_that_is_not_text_is_refused(
    tmp_path: Path, name: str, data: bytes, looks_like: str
) -> None:
    message = refusal(write(tmp_path, name, data))
    assert message == f"{name} is not a text document: it looks like {looks_like}."


def test_a_stray_control_byte_in_a_text_file_is_dropped(tmp_path: Path) -> None:
    data = speech_lines(3).encode("utf-8") + b"\x00\x1b end"
    assert read_document(write(tmp_path, "log.txt", data)).text == speech_lines(3) + " end"


def test_an_unknown_extension_is_read_by_its_content(tmp_path: Path) -> None:
    assert read_document(write(tmp_path, "notes.log", b"line one\r\nline two\r\n")).text == (
        "line one\nline two"
    )
    assert read_document(write(tmp_path, "scan.bin", pdf_bytes(["In a PDF"]))).kind == "pdf"
    assert read_document(write(tmp_path, "letter", docx_bytes(["Dear"]))).kind == "docx"


def test_a_file_over_the_size_limit_is_refused_with_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: no 50 MB written to the disk
    message = refusal(path)
    assert message.startswith("huge.txt is 50 MB; Hearth opens documents up to 50 MB")


def test_text_over_the_length_limit_is_refused_with_the_limit() -> None:
    with pytest.raises(DocumentError, match="Hearth summarises up to 5,000,000"):
        pasted_document("word " * (MAX_TEXT_CHARS // 5 + 1))


def test_empty_missing_and_folder_paths_are_refused(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "empty.txt", b" \n\n \t\n")) == "empty.txt contains no text."
    assert refusal(tmp_path / "gone.pdf") == "gone.pdf does not exist."
    assert refusal(tmp_path) == f"{tmp_path.name} is a folder, not a document."
    with pytest.raises(DocumentError, match="The pasted text is empty"):
        pasted_document("\x00 \r\n ")


def test_pasted_text_is_normalised_like_a_file() -> None:
    document = pasted_document("Title\r\n\r\n\r\n\r\nBody\x00 text  \rlast\ufeff line\x07")
    assert document.text == "Title\n\nBody text\nlast line"
    assert (document.kind, document.name) == ("pasted", "Pasted text")
