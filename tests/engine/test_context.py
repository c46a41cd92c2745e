"""Fitting chats into the context window, with the bundled model's real chat template and
tokenizer (`Runtime.tokenize_chat`), and once end to end through `Runtime.stream`."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import llama_cpp
import pytest

from engine.chat.context import KEPT_HEAD, TRIM_TARGET, ContextPlan, plan_context
from engine.chat.prompt import ChatMessage
from engine.errors import ContextOverflowError, MessageTooLongError
from engine.host.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    Runtime,
    TextChunk,
)
from engine.settings import ChatSettings, ContextPolicy, SamplingSettings

SYSTEM = "You are Hearth, a careful assistant. Secret marker: ZEBRA-42."
BUDGET = 300  # about seven exchanges of `numbered_chat`

Detokenize = Callable[[Sequence[int]], str]


def numbered_chat(exchanges: int, final: str = "What was my first question?") -> list[ChatMessage]:
    """`exchanges` question/answer pairs (about 42 tokens each), then one more question."""
    messages: list[ChatMessage] = []
    for i in range(exchanges):
        messages.append(ChatMessage("user", f"Question {i}: what is special about number {i}?"))
        messages.append(ChatMessage(
            "assistant", f"Answer {i}: the number {i} comes after {i - 1} and before {i + 1}."
        ))
    messages.append(ChatMessage("user", final))
    return messages


@pytest.fixture(scope="module")
def detokenize(bundled_model: Path) -> Iterator[Detokenize]:
    """Turns prompt tokens back into the text the model sees (a vocabulary-only load)."""
    with contextlib.redirect_stderr(io.StringIO()):
        vocab = llama_cpp.Llama(str(bundled_model), vocab_only=True, verbose=True)

    def to_text(tokens: Sequence[int]) -> str:
        text: str = vocab.detokenize(list(tokens), special=True).decode("utf-8")
        return text

    yield to_text
    vocab.close()


def plan(
    runtime: Runtime,
    messages: Sequence[ChatMessage],
    policy: ContextPolicy = ContextPolicy.DROP_OLDEST,
    budget: int = BUDGET,
    start_hint: int = 0,
    system: str = SYSTEM,
) -> ContextPlan:
    return plan_context(
        messages, system, budget=budget, policy=policy,
        tokenize=runtime.tokenize_chat, start_hint=start_hint,
    )


def system_message() -> ChatMessage:
    return ChatMessage("system", SYSTEM)


def test_the_synthetic_chat_really_overflows_the_budget(runtime: Runtime) -> None:
    # Guards the other tests: they mean nothing if the chat fits anyway.
    assert len(runtime.tokenize_chat([system_message(), *numbered_chat(10)])) > 1.4 * BUDGET


def test_a_chat_that_fits_is_sent_whole(runtime: Runtime) -> None:
    messages = numbered_chat(3)
    result = plan(runtime, messages, budget=2000)
    assert (result.first_index, result.head, result.dropped) == (0, 0, 0)
    assert result.tokens == runtime.tokenize_chat([system_message(), *messages])


def test_a_blank_system_prompt_is_left_out(runtime: Runtime) -> None:
    messages = numbered_chat(1)
    result = plan(runtime, messages, budget=2000, system="  \n")
    assert result.tokens == runtime.tokenize_chat(messages)


def test_drop_oldest_drops_old_messages_but_keeps_the_system_prompt(
    runtime: Runtime, detokenize: Detokenize
) -> None:
    messages = numbered_chat(10)
    result = plan(runtime, messages)
    assert result.first_index > 0 and result.head == 0
    assert result.dropped == result.first_index
    assert messages[result.first_index].role == "user"  # never starts on a reply
    assert result.tokens == runtime.tokenize_chat(
        [system_message(), *messages[result.first_index:]]
    )
    assert len(result.tokens) <= BUDGET
    # Trimmed in one large step, so the next turns fit without trimming again.
    assert len(result.tokens) <= int(BUDGET * TRIM_TARGET)

    prompt = detokenize(result.tokens)
    assert prompt.startswith(f"<|im_start|>system\n{SYSTEM}<|im_end|>")
    assert "Question 0:" not in prompt
    assert messages[result.first_index].content in prompt
    assert prompt.rstrip().endswith("<|im_start|>assistant")
    assert "What was my first question?" in prompt


def test_trimming_keeps_as_much_history_as_the_target_allows(runtime: Runtime) -> None:
    messages = numbered_chat(10)
    result = plan(runtime, messages)
    # Starting one exchange earlier would have gone over the trim target.
    earlier = result.first_index - 2
    assert messages[earlier].role == "user"
    longer = runtime.tokenize_chat([system_message(), *messages[earlier:]])
    assert len(longer) > int(BUDGET * TRIM_TARGET)


def test_a_stable_start_is_kept_while_it_fits_so_the_prefix_is_reused(runtime: Runtime) -> None:
    messages = numbered_chat(10)
    first = plan(runtime, messages)
    next_turn = [
        *messages,
        ChatMessage("assistant", "It was question 0."),
        ChatMessage("user", "Thanks, and the second?"),
    ]
    second = plan(runtime, next_turn, start_hint=first.first_index)
    assert second.first_index == first.first_index
    assert len(second.tokens) <= BUDGET
    # The previous prompt is a prefix of this one: llama.cpp evaluates only the new turn.
    assert second.tokens[: len(first.tokens)] == first.tokens

    # Without the hint the planner would have trimmed again and broken that prefix.
    unhinted = plan(runtime, next_turn)
    assert unhinted.first_index > first.first_index


def test_a_start_that_no_longer_fits_moves_forward_to_a_user_message(runtime: Runtime) -> None:
    messages = numbered_chat(10)
    first = plan(runtime, messages)
    much_later = [*messages[:-1], *numbered_chat(6, final="And now?")]
    result = plan(runtime, much_later, start_hint=first.first_index)
    assert result.first_index > first.first_index
    assert much_later[result.first_index].role == "user"
    assert len(result.tokens) <= int(BUDGET * TRIM_TARGET)


def test_keep_first_keeps_the_first_exchange_and_drops_the_middle(
    runtime: Runtime, detokenize: Detokenize
) -> None:
    messages = numbered_chat(10)
    result = plan(runtime, messages, policy=ContextPolicy.KEEP_FIRST)
    assert result.head == KEPT_HEAD == 2
    assert result.first_index > 2
    assert messages[result.first_index].role == "user"
    assert result.dropped == result.first_index - 2
    assert result.tokens == runtime.tokenize_chat(
        [system_message(), *messages[:2], *messages[result.first_index:]]
    )
    assert len(result.tokens) <= BUDGET

    prompt = detokenize(result.tokens)
    assert SYSTEM in prompt
    assert "Question 0:" in prompt and "Answer 0:" in prompt
    assert "Question 1:" not in prompt  # the middle went
    assert "Question 9:" in prompt

    # Next turn, with the hint, the same head and start are kept.
    next_turn = [*messages, ChatMessage("assistant", "Zero."), ChatMessage("user", "Ok.")]
    again = plan(runtime, next_turn, ContextPolicy.KEEP_FIRST, start_hint=result.first_index)
    assert (again.head, again.first_index) == (2, result.first_index)
    assert again.tokens[: len(result.tokens)] == result.tokens


def test_keep_first_gives_up_the_head_when_the_last_message_needs_the_room(
    runtime: Runtime,
) -> None:
    long_question = "Please consider this: " + " ".join(f"item{i}" for i in range(60))
    messages = numbered_chat(4, final=long_question)
    alone = len(runtime.tokenize_chat([system_message(), messages[-1]]))
    with_head = len(runtime.tokenize_chat([system_message(), *messages[:2], messages[-1]]))
    budget = (alone + with_head) // 2  # the message fits alone, but not with the head
    assert alone <= budget < with_head

    result = plan(runtime, messages, policy=ContextPolicy.KEEP_FIRST, budget=budget)
    assert (result.head, result.first_index) == (0, len(messages) - 1)
    assert len(result.tokens) == alone


def test_stop_policy_refuses_to_drop_anything(runtime: Runtime) -> None:
    messages = numbered_chat(10)
    total = len(runtime.tokenize_chat([system_message(), *messages]))
    with pytest.raises(ContextOverflowError) as caught:
        plan(runtime, messages, policy=ContextPolicy.STOP)
    assert type(caught.value) is ContextOverflowError
    assert f"This chat is {total:,} tokens, more than the {BUDGET:,}" in str(caught.value)


def test_stop_policy_sends_a_chat_that_fits(runtime: Runtime) -> None:
    result = plan(runtime, numbered_chat(2), policy=ContextPolicy.STOP)
    assert result.first_index == 0


@pytest.mark.parametrize("policy", list(ContextPolicy))
def test_a_message_longer_than_the_budget_says_how_long(
    runtime: Runtime, policy: ContextPolicy
) -> None:
    huge = "Summarize: " + " ".join(f"word{i}" for i in range(400))
    messages = [*numbered_chat(1), ChatMessage("user", huge)][1:]  # ends with the huge one
    length = len(runtime.tokenize_chat([system_message(), messages[-1]]))
    budget = 1000
    assert length > budget
    with pytest.raises(MessageTooLongError) as caught:
        plan(runtime, messages, policy=policy, budget=budget)
    text = str(caught.value)
    assert f"This message is {length:,} tokens" in text
    assert "room for 1,000 before the reply" in text


# -- End to end -----------------------------------------------------------------------------------


def test_a_long_chat_is_trimmed_and_still_answered(fresh_runtime: Runtime) -> None:
    loaded = fresh_runtime.loaded
    assert loaded is not None and loaded.n_ctx == 512
    messages = tuple(numbered_chat(14, final="Which number comes after 11?"))
    settings = ChatSettings(
        system_prompt=SYSTEM, sampling=SamplingSettings(seed=5, max_tokens=16)
    )
    assert len(fresh_runtime.tokenize_chat(messages)) > 512  # could never fit whole

    events = list(fresh_runtime.stream(GenerationRequest(messages, settings), threading.Event()))

    planned, done = events[0], events[-1]
    assert isinstance(planned, ContextPlanned) and isinstance(done, GenerationDone)
    assert planned.first_index > 0 and planned.head == 0
    assert messages[planned.first_index].role == "user"
    budget = 512 - 16
    assert planned.prompt_tokens <= int(budget * TRIM_TARGET)
    chunks = [event.text for event in events[1:-1] if isinstance(event, TextChunk)]
    assert chunks and done.text == "".join(chunks) and done.text.strip()
    assert done.finish_reason in ("stop", "length")
    assert done.prompt_tokens == planned.prompt_tokens
    assert done.context_used <= 512


def test_stop_policy_through_the_runtime_raises_before_generating(runtime: Runtime) -> None:
    settings = ChatSettings(
        sampling=SamplingSettings(max_tokens=1800), context_policy=ContextPolicy.STOP
    )  # 2048 - 1024 reserved leaves 1024 tokens: too few for 30 exchanges
    request = GenerationRequest(tuple(numbered_chat(30)), settings)
    with pytest.raises(ContextOverflowError, match="more than the 1,024"):
        next(runtime.stream(request, threading.Event()))
