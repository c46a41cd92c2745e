"""Server-sent events, parsed by hand from a byte stream (the WHATWG event-stream format).

Lines end in LF, CRLF or CR; a line starting with ":" is a comment (servers send them as
keep-alives); `data:` lines of one event are joined with newlines; a blank line ends the event.
Only the data of each event matters to OpenAI-compatible streams, so only that is returned.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

MAX_EVENT_CHARS = 16 * 1024 * 1024  # one event's data; a server sending more is broken


class EventStreamError(ValueError):
    """The stream broke the format's limits."""


def event_data(chunks: Iterable[bytes]) -> Iterator[str]:
    """The data of each complete event, in order. An event cut off by the end of the stream is
    not returned: a half-sent event is not an event."""
    data: list[str] = []
    size = 0
    for line in _lines(chunks):
        if not line:
            if data:
                yield "\n".join(data)
            data, size = [], 0
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if name == "data":
            value = value.removeprefix(" ")
            size += len(value)
            if size > MAX_EVENT_CHARS:
                raise EventStreamError("an event longer than 16 MB")
            data.append(value)


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The stream's lines, without their ends; a leading byte order mark is dropped."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        lines, pending = _complete_lines(pending)
        yield from lines
        if len(pending) > MAX_EVENT_CHARS:
            raise EventStreamError("a line longer than 16 MB")
    pending += decoder.decode(b"", final=True)
    if pending.endswith("\r"):  # no LF can follow it any more: it ended a line
        yield from _complete_lines(pending + "\n")[0]


def _complete_lines(text: str) -> tuple[list[str], str]:
    """The whole lines in `text` and what follows the last line end. A CR at the very end stays
    pending: the LF of its CRLF may be in the next chunk."""
    lines: list[str] = []
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\n" or (char == "\r" and index + 1 < len(text)):
            lines.append(text[start:index])
            if char == "\r" and text[index + 1] == "\n":
                index += 1
            start = index + 1
        index += 1
    return lines, text[start:]
