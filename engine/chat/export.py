"""Export a chat as Markdown or JSON, and write files so a crash never leaves half of one.

A reply's thinking (its reasoning, kept apart from the answer) is left out unless asked for:
Markdown then gives it in a folded `<details>` block before the answer, JSON as `reasoning`.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.chat.store import ChatRecord, MessageRecord
from engine.errors import StoreError
from engine.text import Text

_SPEAKERS = {"user": "You", "assistant": "Assistant", "system": "System"}
_MARKS = {"stopped": "*(stopped)*", "error": "*(the model stopped unexpectedly)*"}
# A fence line, after what contains it: indentation, a list item's marker, quote marks.
_FENCE = re.compile(r"^(?P<within>[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?(?:>[ \t]?)*)"
                    r"(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)")


def code_blocks(markdown: str) -> list[str]:
    """The fenced code blocks of a Markdown text (``` or ~~~), without their fences and the
    fence's indentation; one left open runs to the end."""
    return _fences(markdown)[0]


def _fences(text: str) -> tuple[list[str], str | None]:
    """The fenced blocks, and the fence left open at the end. As a Markdown reader sees them
    inside list items and quotes too: a block's lines lose the quote marks and as much
    indentation as its fence had (its list marker counting as indentation)."""
    blocks: list[str] = []
    fence: str | None = None
    indent, quotes, lines = 0, 0, list[str]()
    for line in text.splitlines():
        found = _FENCE.match(line)
        if fence is None:
            # CommonMark: an info string after backticks has no backtick in it
            if found is not None and not (found["fence"][0] == "`" and "`" in found["info"]):
                fence, lines = found["fence"], []
                quotes = found["within"].count(">")
                indent = len(_unquoted(found["within"], quotes))
        elif (found is not None and found["fence"][0] == fence[0]
              and len(found["fence"]) >= len(fence) and not found["info"].strip()):
            blocks.append("\n".join(lines))
            fence = None
        else:
            content = _unquoted(line, quotes)
            lines.append(content[min(indent, len(content) - len(content.lstrip(" "))):])
    if fence is not None:
        blocks.append("\n".join(lines))
    return blocks, fence


def _unquoted(line: str, quotes: int) -> str:
    """`line` without its first `quotes` quote marks."""
    for _ in range(quotes):
        line = _QUOTE.sub("", line, count=1)
    return line


def _close_open_fence(text: str) -> str:
    # A reply stopped inside a code block would otherwise swallow the rest of the document.
    fence = _fences(text)[1]
    return text if fence is None else f"{text}\n{fence}"


def chat_to_markdown(chat: ChatRecord, messages: Sequence[MessageRecord],
                     include_reasoning: bool = False) -> str:
    title = " ".join(chat.title.split()) or "New chat"
    blocks = [f"# {title}"]
    for message in messages:
        blocks.append(f"### {_SPEAKERS[message.role]}")
        reasoning = message.reasoning.strip()
        if include_reasoning and reasoning:
            blocks.append("<details><summary>Thinking</summary>\n\n"
                          f"{_close_open_fence(reasoning)}\n\n</details>")
        content = _close_open_fence(message.content.rstrip())
        if content:
            blocks.append(content)  # already Markdown: written as the model or user wrote it
        if message.note is not None:  # how a summary was made: in English, as the CLI says it
            blocks.append(f"*{message.note}*")
        if message.status in _MARKS:
            blocks.append(_MARKS[message.status])
    return "\n\n".join(blocks) + "\n"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def chat_to_json(chat: ChatRecord, messages: Sequence[MessageRecord],
                 include_reasoning: bool = False) -> str:
    document: dict[str, Any] = {
        "format": "hearth-chat",
        "version": 1,
        "title": chat.title,
        "created_at": _iso(chat.created_at),
        "model": chat.model,
        "settings": chat.settings,
        "messages": [
            {
                "role": message.role,
                "content": message.content,
                **({"reasoning": message.reasoning}
                   if include_reasoning and message.reasoning else {}),
                **({"note": str(message.note)} if message.note is not None else {}),
                "created_at": _iso(message.created_at),
                "status": message.status,
            }
            for message in messages
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_text_atomically(path: Path, text: str) -> None:
    """Write UTF-8 `text` to `path`: afterwards it holds either the old file or all of the new."""
    path = Path(path)
    temp: str | None = None
    try:
        # mkstemp makes the file owner-only; keep the old file's mode, else a usual 0644.
        mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o644
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        raise StoreError(Text("Could not write {path}: {reason}",
                              path=path, reason=exc.strerror or exc)) from exc
    finally:
        if temp is not None:
            with suppress(OSError):
                os.unlink(temp)
