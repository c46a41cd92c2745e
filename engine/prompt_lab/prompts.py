"""What the model reads for one input: instruction, demos and the input itself, as tokens.

A prompt has two formats. Chat: the instruction is the system message and each demo a
user/assistant exchange, rendered by the model's own chat template through the Runtime, exactly
as a chat with those messages is. Plain: "Input: ... / Output: ..." lines after the
instruction, for completion-style reading. Tuning, presets and chats all render through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from engine.chat.prompt import ChatMessage
from engine.errors import ModelError
from engine.prompt_lab.scorer import Scorer


class PromptFormat(StrEnum):
    CHAT = "chat"
    PLAIN = "plain"


@dataclass(frozen=True)
class Demo:
    input: str
    output: str  # as the model sees it: the label word, or the expected text


@dataclass(frozen=True)
class PromptSpec:
    format: PromptFormat
    instruction: str
    demos: tuple[Demo, ...] = ()
    label_words: tuple[str, ...] = ()  # one per task label, same order; () for free text
    fields: tuple[str, str] = ("Input", "Output")  # the plain format's line names


@dataclass(frozen=True)
class RenderedPrompt:
    tokens: list[int]
    reusable: int  # leading tokens shared by every input: instruction and demos


def chat_messages(spec: PromptSpec, text: str) -> tuple[ChatMessage, ...]:
    """The chat messages the model reads for `text` (chat format), system message first."""
    system = (ChatMessage("system", spec.instruction),) if spec.instruction.strip() else ()
    history = tuple(
        message
        for demo in spec.demos
        for message in (ChatMessage("user", demo.input), ChatMessage("assistant", demo.output))
    )
    return (*system, *history, ChatMessage("user", text))


def plain_text(spec: PromptSpec, text: str) -> str:
    """The completion prompt for `text` (plain format); the answer follows after a space."""
    name_in, name_out = spec.fields
    head = f"{spec.instruction.strip()}\n\n" if spec.instruction.strip() else ""
    demos = "".join(f"{name_in}: {d.input}\n{name_out}: {d.output}\n\n" for d in spec.demos)
    return f"{head}{demos}{name_in}: {text}\n{name_out}:"


def describe(spec: PromptSpec) -> str:
    """The prompt as a person reads it, with {input} where each input goes."""
    if spec.format is PromptFormat.PLAIN:
        return plain_text(spec, "{input}")
    return "\n".join(f"[{m.role}] {m.content}" for m in chat_messages(spec, "{input}"))


class PromptRenderer:
    """Renders specs to tokens with a Scorer's tokenizer, remembering each spec's prefix."""

    def __init__(self, scorer: Scorer) -> None:
        self._scorer = scorer
        self._prefixes: dict[PromptSpec, list[int]] = {}

    def prompt(self, spec: PromptSpec, text: str) -> RenderedPrompt:
        tokens = self._tokens(spec, text)
        return RenderedPrompt(tokens, _common_length(self.prefix(spec), tokens))

    def prefix(self, spec: PromptSpec) -> list[int]:
        """The tokens of the instruction and demos, before any input."""
        prefix = self._prefixes.get(spec)
        if prefix is None:
            prefix = self._prefix_tokens(spec)
            self._prefixes[spec] = prefix
        return prefix

    def answer(self, spec: PromptSpec, answer: str) -> list[int]:
        """The answer's tokens as the model would write them right after the prompt."""
        text = answer if spec.format is PromptFormat.CHAT else f" {answer}"
        return self._scorer.text_tokens(text, at_start=False)

    def _tokens(self, spec: PromptSpec, text: str) -> list[int]:
        if spec.format is PromptFormat.CHAT:
            return self._scorer.chat_tokens(chat_messages(spec, text))
        return self._scorer.text_tokens(plain_text(spec, text), at_start=True)

    def _prefix_tokens(self, spec: PromptSpec) -> list[int]:
        if spec.format is PromptFormat.PLAIN:
            cut = plain_text(spec, "").rindex(f"{spec.fields[0]}:")
            return self._scorer.text_tokens(plain_text(spec, "")[:cut], at_start=True)
        try:
            return self._scorer.chat_tokens(chat_messages(spec, "")[:-1])
        except ModelError:  # a template that refuses a chat without a user message
            return []


def _common_length(first: Sequence[int], second: Sequence[int]) -> int:
    same = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        same += 1
    return same
