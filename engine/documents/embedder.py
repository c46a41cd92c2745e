"""Sentence vectors for search, made by the search model in the app's engine host.

The search model (engine/documents/search_model.py) runs in the engine host beside the chat
model, under its own handle: a fault in llama.cpp while indexing ends that process, not Hearth,
and one thread drives both models there, so they never fight for the cores. Indexing a folder
never unloads the chat model, and a reply being written lets a batch of vectors through between
two tokens.

A passage is embedded as its sentence groups of about `CHUNK_CHARS` characters, and a question
is matched to its best group: MiniLM was trained on sentence pairs, and one vector for a whole
passage blurs the one sentence that answers (on bench/docs_questions.json the best group found
the answer passage for 94% of the questions with its own words, one vector a passage for 86%).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.documents.splitting import split_pieces
from engine.errors import ModelError
from engine.host.client import HostModel, HostRuntime
from engine.settings import RuntimeSettings
from engine.text import Text

CHUNK_CHARS = 250
# MiniLM's positions; a sentence group is far shorter.
CONTEXT = 512
SEARCH = "search"  # the search model's handle in the engine host

Vectors = np.ndarray[Any, np.dtype[np.float32]]


class Embedder:
    def __init__(self, model: Path | Callable[[], Path | None], host: HostRuntime | None = None,
                 threads: int | None = None) -> None:
        # A function, to find (or make) the model file only once a vector is first needed.
        self._model = model
        self._threads = threads
        # The app's engine host, which another index may share; without one, a host of this
        # embedder's own, started for the first vector and ended by `close`.
        self._host = host
        self._own_host = host is None
        self._search: HostModel | None = None  # held from the first vector to `close`

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """One unit-length vector a text, in rows."""
        rows = self._search_model().embed_many(texts) if texts else []
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)

    def close(self) -> None:
        if self._search is not None:
            self._search.release()
            self._search = None
        if self._own_host and self._host is not None:
            self._host.stop()
            self._host = None

    def _search_model(self) -> HostModel:
        if self._search is None:
            model = self._model if isinstance(self._model, Path) else self._model()
            if model is None:
                raise ModelError(Text("The search model is not installed."))
            if self._host is None:
                self._host = HostRuntime()
            search = self._host.model(SEARCH)
            search.hold(model, RuntimeSettings(n_ctx=CONTEXT), self._threads)
            self._search = search
        return self._search


def sentence_groups(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """The passage as consecutive groups of whole sentences of at most `limit` characters
    (a longer sentence alone is cut at words)."""
    groups: list[str] = []
    current = ""
    for piece in split_pieces(text, limit, len):
        if current and len(current) + len(piece.text) > limit:
            groups.append(current.strip())
            current = ""
        current += piece.text
    if current.strip():
        groups.append(current.strip())
    return [group for group in groups if group]
