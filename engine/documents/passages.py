"""A document cut into passages for search: about a paragraph each, with its page and line.

A passage is what a citation points to and what the model reads as evidence, so it is cut where
a reader would: at paragraph breaks, else lines, else sentence ends (Chinese and Japanese ones
too), never inside a word unless a word is longer than a passage. Short paragraphs are joined
up to `TARGET_CHARS`, so a passage carries enough words for keyword search to rank it and
enough context for the model to read it; 700 characters is about 120 English words, between
GPT4All's 512-character snippets (often cut mid-thought) and a page.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from engine.documents.reading import Document
from engine.documents.splitting import split_pieces

TARGET_CHARS = 700


@dataclass(frozen=True)
class Passage:
    text: str
    start: int  # where it starts in the document's text
    line: int  # the line it starts on, from 1: in the file, or on its page (Document.line_of)
    page: int | None  # the page it starts on, from 1; None for a document without pages


def split_passages(document: Document, target: int = TARGET_CHARS) -> list[Passage]:
    """The document's text as consecutive passages of at most `target` characters (a longer
    word alone excepted), in order; together they hold every non-blank character."""
    text = document.text
    passages: list[Passage] = []
    group_start, group_end = 0, 0
    for piece in split_pieces(text, target, len):
        end = group_end + len(piece.text)
        if end - group_start > target and group_end > group_start:
            _add(passages, document, group_start, group_end)
            group_start = group_end
        group_end = end
    _add(passages, document, group_start, group_end)
    return passages


def _add(passages: list[Passage], document: Document, start: int, end: int) -> None:
    raw = document.text[start:end]
    text = raw.strip()
    if not text:
        return
    start += len(raw) - len(raw.lstrip())
    page = bisect.bisect_right(document.page_starts, start) if document.page_starts else None
    passages.append(Passage(text, start, document.line_of(start), page))
