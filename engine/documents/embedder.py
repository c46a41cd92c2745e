"""Sentence vectors for search, made by the search model in an engine host of its own.

The search model (engine/documents/search_model.py) runs in a child process like the chat
model, so a fault in llama.cpp while indexing ends that process, not Hearth; it is separate
from the chat model's host, so indexing a folder never unloads or waits on the chat model.

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
from engine.host.client import HostRuntime
from engine.settings import RuntimeSettings

CHUNK_CHARS = 250
# MiniLM's positions; a sentence group is far shorter.
CONTEXT = 512

Vectors = np.ndarray[Any, np.dtype[np.float32]]


class Embedder:
    def __init__(self, model: Path | Callable[[], Path | None], threads: int | None = None
                 ) -> None:
        # A function, to find (or make) the model file only once a vector is first needed.
        self._model = model
        self._threads = threads
        self._host: HostRuntime | None = None

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """One unit-length vector a text, in rows."""
        rows = self._started().embed_many(texts) if texts else []
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)

    def close(self) -> None:
        if self._host is not None:
            self._host.close()
            self._host = None

    def _started(self) -> HostRuntime:
        if self._host is None:
            model = self._model if isinstance(self._model, Path) else self._model()
            if model is None:
                raise ModelError("The search model is not installed.")
            host = HostRuntime()
            try:
                host.load(model, RuntimeSettings(n_ctx=CONTEXT), self._threads)
            except BaseException:
                host.close()
                raise
            self._host = host
        return self._host


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
