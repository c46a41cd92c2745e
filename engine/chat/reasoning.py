"""A reply's thinking, told apart from its answer as the text streams in.

Reasoning models write their thinking before the answer, in one of two forms:

- a `<think>...</think>` block at the start (Qwen3, DeepSeek-R1 distills, QwQ). Some templates
  open the block in the generation prompt already (`...<｜Assistant｜><think>\\n`), so the reply
  starts inside it and only `</think>` is written;
- gpt-oss's channels: `<|channel|>analysis<|message|>...<|end|>`, then
  `<|start|>assistant<|channel|>final<|message|>...`. Where the markers are special tokens that
  the token loop does not write as text, only the channel names remain
  (`analysis...assistantfinal...`); that bare form is read only for a template that uses
  channels, so an ordinary reply starting with the word "analysis" stays as it is.

`ReasoningSplitter` is fed the reply as it streams, in chunks cut anywhere (a tag may arrive in
pieces), and hands back reasoning and answer text as soon as it is sure which is which: text
that could be the start of a tag waits for the next chunk. Nothing is lost: text that turns out
not to be a tag is given back as it was, a block left open at the end is reasoning, and a reply
without reasoning comes out exactly as it went in. Whitespace around the tags (the newlines
after `<think>` and `</think>`) is dropped.

`ReasoningStyle` is what a model's chat template tells in advance: whether its generation
prompt opens a think block, whether it uses channels, and whether it has a thinking switch
(Qwen3's `enable_thinking`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from engine.chat.prompt import ChatMessage, ChatTemplate
from engine.errors import ModelError

PartKind = Literal["reasoning", "answer"]

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CHANNEL, MESSAGE, START = "<|channel|>", "<|message|>", "<|start|>"
# What ends a channel's message: its end, the end of the reply, a tool call or a new header.
_SEGMENT_ENDS = ("<|end|>", "<|return|>", "<|call|>", START, CHANNEL)
_BARE_ANALYSIS, _BARE_FINAL, _BARE_NEXT_FINAL = "analysis", "final", "assistantfinal"
_MAX_HEADER = 256  # a channel header longer than this is not one: its text is the answer
_SWITCH = re.compile(r"\benable_thinking\b")


@dataclass(frozen=True)
class ReasoningPart:
    kind: PartKind
    text: str


@dataclass(frozen=True)
class ReasoningStyle:
    """What a chat template tells about the replies it asks for."""

    opens_thinking: bool = False  # the generation prompt ends inside a <think> block
    channels: bool = False  # gpt-oss's channels: their bare names are read too
    switch: bool = False  # the template reads `enable_thinking` (Qwen3's thinking switch)


PLAIN = ReasoningStyle()


class _State(Enum):
    START = "start"  # nothing decided yet: a tag may open the reply
    THINK = "think"  # inside <think>, until </think>
    AFTER_THINK = "after think"  # the whitespace between </think> and the answer
    ANSWER = "answer"  # the rest is answer
    BARE_THINK = "bare analysis"  # gpt-oss's analysis without markers, until "assistantfinal"
    HEADER = "header"  # after <|channel|>: the channel's name, until <|message|>
    ROLE = "role"  # after <|start|>: the author, until <|channel|> or <|message|>
    BETWEEN = "between"  # after a channel's message ended
    CHANNEL_REASONING = "analysis"  # a channel message that is thinking
    CHANNEL_ANSWER = "final"  # any other channel's message


_CHANNEL_STATES = (_State.CHANNEL_REASONING, _State.CHANNEL_ANSWER)


class ReasoningSplitter:
    """Splits one reply; feed it chunks in order, then call `finish` once."""

    def __init__(self, style: ReasoningStyle = PLAIN) -> None:
        self.style = style
        self._state = _State.THINK if style.opens_thinking else _State.START
        self._buffer = ""
        self._skip_space = style.opens_thinking  # the newline after a prompt's <think>
        self._reopen = style.opens_thinking  # a model may write the opened <think> again
        self._header = ""
        self.reasoning = ""  # all reasoning handed out so far
        self.answer = ""  # all answer text handed out so far

    @property
    def thinking(self) -> bool:
        """The reply is inside its reasoning now."""
        return self._state in (_State.THINK, _State.BARE_THINK, _State.CHANNEL_REASONING)

    def feed(self, text: str) -> list[ReasoningPart]:
        self._buffer += text
        out: list[ReasoningPart] = []
        while self._buffer and self._step(out):
            pass
        return self._merged(out)

    def finish(self) -> list[ReasoningPart]:
        """Hands out what was held back: the reply has ended."""
        out: list[ReasoningPart] = []
        held, self._buffer = self._buffer, ""
        if self._state is _State.START:
            self._emit(out, "answer", held)
        elif self._state in (_State.THINK, _State.BARE_THINK):
            self._emit(out, "reasoning", held.rstrip() if self._state is _State.THINK else held)
        elif self._state in _CHANNEL_STATES:
            self._emit(out, self._kind_of(self._state), held)
        elif self._state in (_State.ANSWER, _State.BETWEEN):
            self._emit(out, "answer", held if self._state is _State.ANSWER else held.strip())
        # HEADER, ROLE, AFTER_THINK: what is held is markup or the space around it.
        self._state = _State.ANSWER
        return self._merged(out)

    # -- one step of the state machine: False when it needs more text ------------------------

    def _step(self, out: list[ReasoningPart]) -> bool:
        state = self._state
        if state is _State.START:
            return self._start(out)
        if state is _State.THINK:
            return self._think(out)
        if state is _State.AFTER_THINK:
            return self._after_think()
        if state is _State.BARE_THINK:
            return self._until(out, (_BARE_NEXT_FINAL,), "reasoning", _State.ANSWER,
                               trim=False)
        if state is _State.HEADER:
            return self._channel_header()
        if state is _State.ROLE:
            return self._role()
        if state is _State.BETWEEN:
            return self._between(out)
        if state in _CHANNEL_STATES:
            return self._channel_message(out)
        self._emit(out, "answer", self._buffer)
        self._buffer = ""
        return False

    def _start(self, out: list[ReasoningPart]) -> bool:
        text = self._buffer.lstrip()
        if not text:
            return False
        openers = {THINK_OPEN: _State.THINK, CHANNEL: _State.HEADER, START: _State.ROLE}
        if self.style.channels:
            openers |= {_BARE_ANALYSIS: _State.BARE_THINK, _BARE_FINAL: _State.ANSWER}
        for opener, state in openers.items():
            if text.startswith(opener):
                self._buffer = text[len(opener):]
                self._state, self._skip_space = state, state is _State.THINK
                return True
        if any(opener.startswith(text) for opener in openers):
            return False  # perhaps the start of a tag
        self._state = _State.ANSWER  # no reasoning: the reply is handed out as it came
        return True

    def _think(self, out: list[ReasoningPart]) -> bool:
        if self._skip_space:
            self._buffer = self._buffer.lstrip()
            if not self._buffer:
                return False
            if self._reopen:
                if THINK_OPEN.startswith(self._buffer) and self._buffer != THINK_OPEN:
                    return False
                if self._buffer.startswith(THINK_OPEN):
                    self._buffer = self._buffer[len(THINK_OPEN):]
                    self._reopen = False
                    return True
            self._skip_space = self._reopen = False
        return self._until(out, (THINK_CLOSE,), "reasoning", _State.AFTER_THINK, trim=True)

    def _after_think(self) -> bool:
        self._buffer = self._buffer.lstrip()
        if not self._buffer:
            return False
        self._state = _State.ANSWER
        return True

    def _until(self, out: list[ReasoningPart], ends: tuple[str, ...], kind: PartKind,
               then: _State, trim: bool) -> bool:
        """Hands out `kind` text up to the first of `ends`, then goes on in state `then`.
        With `trim`, whitespace just before the end is dropped (so it is held till then)."""
        found = _first(self._buffer, ends)
        if found is not None:
            index, end = found
            text = self._buffer[:index]
            self._emit(out, kind, text.rstrip() if trim else text)
            self._buffer = self._buffer[index + len(end):]
            self._state = then
            return True
        keep = _partial_end(self._buffer, ends)
        ready = self._buffer[:len(self._buffer) - keep]
        if trim:
            ready = ready.rstrip()
        self._emit(out, kind, ready)
        self._buffer = self._buffer[len(ready):]
        return False

    def _channel_header(self) -> bool:
        index = self._buffer.find(MESSAGE)
        if index < 0:
            if len(self._buffer) > _MAX_HEADER:  # not a header after all
                self._state = _State.ANSWER
                return True
            return False
        header, self._buffer = self._buffer[:index], self._buffer[index + len(MESSAGE):]
        name = header.split()[0] if header.split() else ""
        self._state = (_State.CHANNEL_REASONING if name == "analysis"
                       else _State.CHANNEL_ANSWER)
        return True

    def _role(self) -> bool:
        found = _first(self._buffer, (CHANNEL, MESSAGE))
        if found is None:
            if len(self._buffer) > _MAX_HEADER:
                self._state = _State.ANSWER
                return True
            return False
        index, marker = found
        self._buffer = self._buffer[index + len(marker):]
        self._state = _State.HEADER if marker == CHANNEL else _State.CHANNEL_ANSWER
        return True

    def _between(self, out: list[ReasoningPart]) -> bool:
        text = self._buffer.lstrip()
        if not text:
            return False
        for marker, state in ((START, _State.ROLE), (CHANNEL, _State.HEADER)):
            if text.startswith(marker):
                self._buffer, self._state = text[len(marker):], state
                return True
        if START.startswith(text) or CHANNEL.startswith(text):
            return False
        self._state = _State.CHANNEL_ANSWER  # text outside any message: shown, not lost
        return True

    def _channel_message(self, out: list[ReasoningPart]) -> bool:
        kind = self._kind_of(self._state)
        found = _first(self._buffer, _SEGMENT_ENDS)
        if found is None:
            return self._until(out, _SEGMENT_ENDS, kind, self._state, trim=False)
        index, end = found
        self._emit(out, kind, self._buffer[:index])
        self._buffer = self._buffer[index + len(end):]
        self._state = {START: _State.ROLE, CHANNEL: _State.HEADER}.get(end, _State.BETWEEN)
        return True

    @staticmethod
    def _kind_of(state: _State) -> PartKind:
        return "reasoning" if state is _State.CHANNEL_REASONING else "answer"

    def _emit(self, out: list[ReasoningPart], kind: PartKind, text: str) -> None:
        if not text:
            return
        if kind == "reasoning":
            self.reasoning += text
        else:
            self.answer += text
        out.append(ReasoningPart(kind, text))

    @staticmethod
    def _merged(parts: list[ReasoningPart]) -> list[ReasoningPart]:
        merged: list[ReasoningPart] = []
        for part in parts:
            if merged and merged[-1].kind == part.kind:
                merged[-1] = ReasoningPart(part.kind, merged[-1].text + part.text)
            else:
                merged.append(part)
        return merged


def _first(text: str, markers: Iterable[str]) -> tuple[int, str] | None:
    """The earliest marker in `text`, and where it is."""
    best: tuple[int, str] | None = None
    for marker in markers:
        index = text.find(marker)
        if index >= 0 and (best is None or index < best[0]):
            best = (index, marker)
    return best


def _partial_end(text: str, markers: Iterable[str]) -> int:
    """How many characters at the end of `text` could begin one of `markers`."""
    longest = 0
    for marker in markers:
        for size in range(min(len(marker) - 1, len(text)), longest, -1):
            if marker.startswith(text[len(text) - size:]):
                longest = size
                break
    return longest


def split_reasoning(text: str, style: ReasoningStyle = PLAIN) -> tuple[str, str]:
    """(reasoning, answer) of a whole reply."""
    splitter = ReasoningSplitter(style)
    splitter.feed(text)
    splitter.finish()
    return splitter.reasoning, splitter.answer


def has_thinking_switch(template: str | None) -> bool:
    """The template reads Qwen3's `enable_thinking`: a person can turn thinking off."""
    return bool(template) and _SWITCH.search(template or "") is not None


@functools.lru_cache(maxsize=16)
def reasoning_style(template: str | None, think: bool | None = None) -> ReasoningStyle:
    """What `template` tells about its replies when thinking is `think` (None: the template's
    own default). Unknown templates (a remote model's) tell nothing: tags are still read."""
    if not template:
        return PLAIN
    switch = has_thinking_switch(template)
    opens = False
    try:
        prompt = ChatTemplate(template, bos_token="<s>", eos_token="</s>").render(
            [ChatMessage("user", "Hello", think=think if switch else None)])
        opens = prompt.rstrip().endswith(THINK_OPEN)
    except ModelError:
        pass  # a template that cannot render a plain question is refused at load anyway
    return ReasoningStyle(opens_thinking=opens, channels=CHANNEL in template, switch=switch)


def think_flag(template: str | None, thinking: bool) -> bool | None:
    """What to pass as `enable_thinking` for a chat whose Think setting is `thinking`: None
    where the template has no switch (the prompt stays as it always was)."""
    return thinking if has_thinking_switch(template) else None


@dataclass(frozen=True)
class ReasoningChunk:
    """A piece of a reply's thinking as it streams (its answer comes as `TextChunk`s)."""

    text: str
