"""Fitting a conversation into the context window under the chat's policy.

The system prompt is always kept. When history must go, it goes in one large step (down to
`TRIM_TARGET` of the budget) and the start is remembered, so following turns share the same
prefix and llama.cpp re-evaluates the history only once per trim, not every turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.chat.prompt import ChatMessage
from engine.errors import ContextOverflowError, MessageTooLongError
from engine.settings import ContextPolicy
from engine.text import Text

TRIM_TARGET = 0.7
KEPT_HEAD = 2  # the first exchange: one user message and its reply

Tokenizer = Callable[[Sequence[ChatMessage]], list[int]]


@dataclass(frozen=True)
class ContextPlan:
    tokens: list[int]
    first_index: int  # index in the chat of the first message after any kept head
    head: int  # messages kept from the chat's start (the first exchange), 0 if none

    @property
    def dropped(self) -> int:
        return self.first_index - self.head


def plan_context(
    messages: Sequence[ChatMessage],
    system_prompt: str,
    budget: int,
    policy: ContextPolicy,
    tokenize: Tokenizer,
    start_hint: int = 0,
) -> ContextPlan:
    """Chooses which messages the model sees; raises when the policy forbids what it takes."""
    system = [ChatMessage("system", system_prompt)] if system_prompt.strip() else []

    def build(head: int, start: int) -> list[int]:
        return tokenize([*system, *messages[:head], *messages[start:]])

    last = len(messages) - 1
    alone = build(0, last)
    if len(alone) > budget:
        raise MessageTooLongError(
            Text("This message is {alone:,} tokens with the system prompt, but the context window "
                 "leaves room for {budget:,} before the reply. Shorten it, or raise the context "
                 "length in Settings.",
                 alone=len(alone), budget=budget)
        )
    start = min(max(start_hint, 0), last)
    head = KEPT_HEAD if policy is ContextPolicy.KEEP_FIRST and start >= KEPT_HEAD else 0
    tokens = build(head, start)
    if len(tokens) <= budget:
        return ContextPlan(tokens, start, head)
    if policy is ContextPolicy.STOP:
        raise ContextOverflowError(
            Text("This chat is {tokens:,} tokens, more than the {budget:,} the context window "
                 "leaves before the reply. Choose what to drop, or start a new chat.",
                 tokens=len(tokens), budget=budget)
        )
    head = KEPT_HEAD if policy is ContextPolicy.KEEP_FIRST else 0
    candidates = [
        index for index in range(max(start + 1, head), last + 1)
        if messages[index].role == "user"
    ] or [last]
    if head and len(build(head, candidates[-1])) > budget:
        head = 0  # even the first exchange must go for the last message to fit
    return _first_fitting(candidates, head, budget, build)


def _first_fitting(
    candidates: list[int], head: int, budget: int, build: Callable[[int, int], list[int]]
) -> ContextPlan:
    """Binary search for the earliest start within the trim target (token counts fall with it)."""
    target = int(budget * TRIM_TARGET)
    low, high = 0, len(candidates) - 1
    best = ContextPlan(build(head, candidates[high]), candidates[high], head)
    while low <= high:
        middle = (low + high) // 2
        tokens = build(head, candidates[middle])
        if len(tokens) <= target:
            best = ContextPlan(tokens, candidates[middle], head)
            high = middle - 1
        else:
            low = middle + 1
    return best
