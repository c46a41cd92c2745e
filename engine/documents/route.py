"""Which way a question about documents is answered (engine/documents/ask.py): its own module,
so the chat store can record it on a reply without importing the model runtime."""

from __future__ import annotations

from enum import StrEnum


class Route(StrEnum):
    PASSAGES = "passages"  # a detail: the passages search finds
    WHOLE = "whole"  # the whole text, read in parts
