"""Cutting text at its best boundaries: paragraphs, lines, sentences, words, characters.

A summary's parts and a collection's passages are both cut here, so both keep sentences whole in
every script: sentences end after . ! ? … only where a space follows, and after 。！？ where they
stand, since Chinese and Japanese put no space after them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

# Boundaries to split on, from the best to the last resort; each piece keeps its separator.
_BOUNDARIES = (
    re.compile(r"\n\n+"),  # paragraphs
    re.compile(r"\n"),  # lines
    # Sentences: after . ! ? … only where a space follows (so "3.5" stays whole); Chinese and
    # Japanese put no space after 。！？, so those (and ；, the half-width ｡, with any closing
    # quotes or brackets) end one where they stand.
    re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|[。！？；｡][。！？；｡!?…]*[\"'”’)\]」』）】〕》〉]*\s*"),
    re.compile(r"\s+"),  # words
)


@dataclass(frozen=True)
class Piece:
    text: str  # ends with its separator, so joined pieces are the original text
    tokens: int


def split_pieces(
    text: str, limit: int, count: Callable[[str], int], level: int = 0
) -> Iterator[Piece]:
    """The text cut at the best boundaries that leave every piece within `limit` tokens."""
    if level == len(_BOUNDARIES):
        yield from _split_characters(text, limit, count)
        return
    for segment in _split_after(text, _BOUNDARIES[level]):
        # No token is 16 characters on average: a longer segment is split without counting it.
        tokens = count(segment) if len(segment) <= 16 * limit else limit + 1
        if tokens <= limit:
            yield Piece(segment, tokens)
        else:
            yield from split_pieces(segment, limit, count, level + 1)


def _split_after(text: str, boundary: re.Pattern[str]) -> list[str]:
    segments, start = [], 0
    for match in boundary.finditer(text):
        if match.end() > start:
            segments.append(text[start:match.end()])
            start = match.end()
    if start < len(text):
        segments.append(text[start:])
    return segments


def _split_characters(text: str, limit: int, count: Callable[[str], int]) -> Iterator[Piece]:
    """A run without spaces longer than a part (a data blob): cut where the tokens allow."""
    start = 0
    while start < len(text):
        # Tokenizing one long "word" costs more than linear: start from a few characters a
        # token (a run of random letters and digits is about two).
        size = min(len(text) - start, 4 * limit)
        while True:
            piece = text[start:start + size]
            tokens = count(piece)
            if tokens <= limit or size == 1:
                break
            size = max(1, min(size - 1, size * limit // max(tokens, 1)))
        yield Piece(piece, tokens)
        start += size


def pack(pieces: Sequence[Piece], limit: int, minimum_parts: int = 1) -> list[list[Piece]]:
    """Consecutive pieces grouped into as few parts as fit `limit`, balanced in size.

    Greedy filling leaves a short last part; the smallest limit that still needs no more parts
    than greedy filling at `limit` spreads the text evenly instead.
    """
    parts = max(minimum_parts, len(_greedy(pieces, limit)))
    total = sum(piece.tokens for piece in pieces)
    low, high = max(1, math.ceil(total / parts)), limit
    while low < high:
        middle = (low + high) // 2
        if len(_greedy(pieces, middle)) <= parts:
            high = middle
        else:
            low = middle + 1
    return _greedy(pieces, low)


def _greedy(pieces: Sequence[Piece], limit: int) -> list[list[Piece]]:
    parts: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0
    for piece in pieces:
        if current and size + piece.tokens > limit:
            parts.append(current)
            current, size = [], 0
        current.append(piece)
        size += piece.tokens
    if current:
        parts.append(current)
    return parts
