"""Turning a token stream into text: incremental UTF-8 decoding and stop strings."""

from __future__ import annotations

import codecs
from collections.abc import Sequence


class Utf8Stream:
    """Decodes byte pieces as they come, holding back a character split across tokens."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, piece: bytes) -> str:
        return self._decoder.decode(piece)

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)


class StopMatcher:
    """Cuts the text at the first stop string, holding back a tail that may start one.
    `after_text`: stop strings count only once the text has more than whitespace (a base
    model's summary ends at a blank line, but may start with one)."""

    def __init__(self, stops: Sequence[str], after_text: bool = False) -> None:
        self._stops = tuple(stop for stop in stops if stop)
        self._hold = max((len(stop) - 1 for stop in self._stops), default=0)
        self._pending = ""
        self._blank_start = after_text
        self.stopped = False

    def feed(self, text: str) -> str:
        """Returns the text that is safe to show; sets `stopped` once a stop string appears."""
        if self.stopped:
            return ""
        if self._blank_start:
            visible = len(text) - len(text.lstrip())
            if visible == len(text):
                return text
            self._blank_start = False
            return text[:visible] + self.feed(text[visible:])
        self._pending += text
        cut = min(
            (index for index in (self._pending.find(stop) for stop in self._stops) if index >= 0),
            default=-1,
        )
        if cut >= 0:
            self.stopped = True
            out, self._pending = self._pending[:cut], ""
            return out
        safe = len(self._pending) - self._hold
        if safe <= 0:
            return ""
        out, self._pending = self._pending[:safe], self._pending[safe:]
        return out

    def flush(self) -> str:
        out, self._pending = ("" if self.stopped else self._pending), ""
        return out
