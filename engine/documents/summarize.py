"""Summarising a document of any length with the loaded model: one pass, or map-reduce.

A document that fits the context window with room for the answer is summarised in one pass.
A longer one is split on paragraph, line, sentence and (for a giant line) word boundaries into
parts sized with the model's own tokenizer, each part is summarised, and the part summaries are
combined, in rounds if even they do not fit. `summarize` is a generator of events, so the GUI's
engine worker can pump it in slices; a `threading.Event` stops it within a token or a batch.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from engine.chat.engine import ChatEngine, chat_template, continues_text
from engine.chat.prompt import ChatMessage
from engine.chat.reasoning import ReasoningSplitter, reasoning_style, think_flag
from engine.chat.repetition import DEFAULT_WINDOW
from engine.documents import summary_prompts as prompts
from engine.documents.reading import Document
from engine.documents.splitting import Piece, pack, split_pieces
from engine.errors import (
    ContextOverflowError,
    EngineCrashedError,
    NoModelLoadedError,
    SettingsError,
)
from engine.host.runtime import GenerationDone, GenerationRequest, PromptProgress, TextChunk
from engine.settings import (
    SAMPLING_FIELDS,
    SEED_MAX,
    ChatSettings,
    ContextPolicy,
    SamplingSettings,
)
from engine.text import Text

Stage = Literal["part", "combine", "final"]

MIN_WORDS, MAX_WORDS = 10, 2000
MAX_QUESTION = 2000  # characters
TOKENS_PER_WORD = 1.6  # English prose runs 1.3-1.5 tokens a word; the rest is room to finish
ANSWER_TOKENS = {"paragraph": 200, "bullets": 300}
PROGRESS_EVERY_TOKENS = 16
# Until a first step is measured, the fraction done is guessed with these rates (tokens/s).
GUESSED_PROMPT_RATE, GUESSED_GENERATION_RATE = 200.0, 20.0

_SENTENCE_END = re.compile(
    r"[.!?…][\"'”’)\]]*(?=\s|$)|[。！？｡][。！？｡!?…]*[\"'”’)\]」』）】〕》〉]*"
)


class SummaryForm(StrEnum):
    PARAGRAPH = "paragraph"
    BULLETS = "bullets"


@dataclass(frozen=True)
class SummaryOptions:
    form: SummaryForm = SummaryForm.PARAGRAPH
    words: int | None = None  # a length in words for the final answer
    part_tokens: int = 160  # the longest summary of one part, in tokens
    temperature: float = 0.2
    seed: int | None = None
    loop_guard: int = DEFAULT_WINDOW  # tokens; 0: off (SamplingSettings.loop_guard)
    question: str | None = None  # a question about the whole text, answered instead

    def check(self) -> None:
        errors: dict[str, Text] = {}
        if self.question is not None and not 0 < len(self.question.strip()) <= MAX_QUESTION:
            errors["question"] = Text("a question must have 1 to {most:,} characters",
                                      most=MAX_QUESTION)
        if self.words is not None and not MIN_WORDS <= self.words <= MAX_WORDS:
            errors["words"] = Text("the length must be between {least} and {most} words",
                                   least=MIN_WORDS, most=MAX_WORDS)
        if not 16 <= self.part_tokens <= 4096:
            errors["part_tokens"] = Text("a part summary must be between {least} and {most} "
                                         "tokens", least=16, most=4096)
        if not 0.0 <= self.temperature <= 2.0:
            errors["temperature"] = Text("{label} must be between {low} and {high}",
                                         label="Temperature", low="0", high="2")
        guard = next(spec for spec in SAMPLING_FIELDS if spec.name == "loop_guard")
        refused = guard.check(self.loop_guard)
        if refused:
            errors["loop_guard"] = refused
        if errors:
            raise SettingsError(errors)

    @property
    def answer_tokens(self) -> int:
        if self.words is not None:
            return math.ceil(self.words * TOKENS_PER_WORD) + 24
        return ANSWER_TOKENS[self.form.value]

    def system(self, step: Literal["one_pass", "part", "combine", "final"]) -> str:
        """The instruction of a step: a summary, or the answer to `question`."""
        question = self.question
        focus = "" if question is None else prompts.QUESTION_FOCUS.format(question=question)
        if step == "part":
            return prompts.DOCUMENT_SYSTEM.format(form=prompts.PART_FORM) + focus
        if step == "combine":
            return prompts.PARTS_SYSTEM.format(form=prompts.COMBINE_FORM) + focus
        if question is not None:
            system = (prompts.QUESTION_DOCUMENT_SYSTEM if step == "one_pass"
                      else prompts.QUESTION_PARTS_SYSTEM)
            return system.format(question=question)
        system = prompts.DOCUMENT_SYSTEM if step == "one_pass" else prompts.PARTS_SYSTEM
        return system.format(form=self.form_instruction)

    @property
    def form_instruction(self) -> str:
        if self.words is None:
            return prompts.FORMS[self.form.value]
        template = prompts.BULLET_WORDS if self.form is SummaryForm.BULLETS else prompts.WORDS
        return template.format(words=self.words)


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryPlanned:
    parts: int  # parts the document was split into; 1 = read in one pass
    steps: int  # model runs expected: parts, combining rounds (estimated) and the final answer
    document_tokens: int
    n_ctx: int


@dataclass(frozen=True)
class PartStarted:
    stage: Stage
    index: int  # 1-based, within the stage: part `index` of `count`
    count: int
    step: int  # 1-based among all model runs
    steps: int  # the current estimate of all model runs


@dataclass(frozen=True)
class SummaryText:
    """Text as the model writes it: of a part's summary, or of the final answer."""

    text: str
    stage: Stage
    index: int


@dataclass(frozen=True)
class PartDone:
    stage: Stage
    index: int
    count: int
    summary: str
    prompt_tokens: int
    evaluated_tokens: int  # of the prompt: the shared instruction comes from the KV cache
    generated_tokens: int


@dataclass(frozen=True)
class SummaryProgress:
    fraction: float  # of the estimated work, never decreasing
    seconds_left: float | None  # None until a speed has been measured on this document
    step: int
    steps: int


@dataclass(frozen=True)
class SummaryDone:
    text: str  # the final answer; on Stop, what of it was written
    parts: int
    document_tokens: int
    seconds: float
    cancelled: bool
    part_summaries: tuple[str, ...]  # in document order; empty for a one-pass summary
    context: str  # what a chat keeps for follow-up questions: the text, or the part summaries
    steps: int  # model runs made
    prompt_tokens: int  # over all runs, and of those, the ones not found in the KV cache
    evaluated_tokens: int
    generated_tokens: int
    repeating_steps: int = 0  # model runs the loop guard stopped
    crashed: bool = False  # the engine host died: what was made before it is kept

    @property
    def note(self) -> Text:
        """The line that says how the summary was made."""
        if self.parts == 0:
            return Text("Stopped while the document was counted, after {seconds:.0f} s.",
                        seconds=self.seconds)
        made = _made(self.parts, self.document_tokens, self.seconds, self.crashed,
                     self.cancelled)
        if not self.repeating_steps:
            return made
        if self.steps > 1:
            repeating = Text("Part of it was stopped: the model was repeating itself "
                             "({repeating} of {steps} steps).",
                             repeating=self.repeating_steps, steps=self.steps)
        else:
            repeating = Text("It was stopped: the model was repeating itself.")
        return Text("{made} {repeating}", made=made, repeating=repeating)


def _made(parts: int, tokens: int, seconds: float, crashed: bool, cancelled: bool) -> Text:
    """How a summary was made, as one sentence per case (so each translates whole)."""
    if parts == 1:
        if crashed:
            return Text("Stopped when the model stopped unexpectedly; partly made in one pass "
                        "over the whole document ({tokens:,} tokens) in {seconds:.0f} s.",
                        tokens=tokens, seconds=seconds)
        if cancelled:
            return Text("Stopped; partly made in one pass over the whole document "
                        "({tokens:,} tokens) in {seconds:.0f} s.", tokens=tokens, seconds=seconds)
        return Text("Made in one pass over the whole document ({tokens:,} tokens) in "
                    "{seconds:.0f} s.", tokens=tokens, seconds=seconds)
    if crashed:
        return Text("Stopped when the model stopped unexpectedly; partly made from {parts} parts "
                    "of the document ({tokens:,} tokens) in {seconds:.0f} s.",
                    parts=parts, tokens=tokens, seconds=seconds)
    if cancelled:
        return Text("Stopped; partly made from {parts} parts of the document ({tokens:,} tokens) "
                    "in {seconds:.0f} s.", parts=parts, tokens=tokens, seconds=seconds)
    return Text("Made from {parts} parts of the document ({tokens:,} tokens) in {seconds:.0f} s.",
                parts=parts, tokens=tokens, seconds=seconds)


SummaryEvent = (
    SummaryPlanned | PartStarted | SummaryText | PartDone | SummaryProgress | SummaryDone
)


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Budgets:
    """Token budgets for one model and one set of options."""

    n_ctx: int
    answer: int  # room for the final answer
    part_summary: int  # room for each part's summary
    one_pass: int  # the longest document prompt read in one pass
    part: int  # the longest part text
    combine: int  # the longest list of summaries combined into one
    final: int  # the longest list of summaries the final answer is written from


def _budgets(runtime: ChatEngine, options: SummaryOptions) -> _Budgets:
    loaded = runtime.loaded
    if loaded is None:
        raise NoModelLoadedError(Text("No model is loaded."))
    n_ctx = loaded.n_ctx  # the tokens a prompt and reply may use (the runtime's usable size)
    margin = 8 + n_ctx // 64  # token counts of joined pieces can differ from their sum

    think = summary_think(runtime)
    wording = summary_wording(runtime)

    def overhead(system: str, user: str) -> int:
        return len(runtime.tokenize_chat(_prompt(system, user.format(text=""), think)))

    answer = min(options.answer_tokens, n_ctx // 2)
    part_overhead = overhead(options.system("part"), wording.document_user)
    part_summary = min(options.part_tokens, (n_ctx - part_overhead - margin) // 4)
    budgets = _Budgets(
        n_ctx=n_ctx,
        answer=answer,
        part_summary=part_summary,
        one_pass=n_ctx - answer - margin,
        part=n_ctx - part_overhead - margin - part_summary,
        combine=n_ctx - margin - part_summary - overhead(
            options.system("combine"), wording.parts_user),
        final=n_ctx - margin - answer - overhead(
            options.system("final"), wording.parts_user),
    )
    if budgets.part_summary < 16 or budgets.final < 2 * budgets.part_summary:
        raise ContextOverflowError(
            Text("The context window ({n_ctx:,} tokens) is too small to summarise in parts with "
                 "an answer of {answer_tokens:,} tokens. Raise the context length in Settings, "
                 "or ask for a shorter summary.",
                 n_ctx=n_ctx, answer_tokens=options.answer_tokens)
        )
    return budgets


def summary_wording(runtime: ChatEngine) -> prompts.Wording:
    """How the steps ask for a summary: as an instruction, or, of a base model, by a cue that
    its continuation answers."""
    return prompts.CONTINUED if continues_text(runtime.loaded) else prompts.INSTRUCTED


def summary_think(runtime: ChatEngine) -> bool | None:
    """Summaries ask a model with a thinking switch not to think: its thinking would be left
    out of the summary anyway (and a model that thinks regardless has it taken out)."""
    return think_flag(chat_template(runtime.loaded), False)


def _prompt(system: str, user: str, think: bool | None) -> list[ChatMessage]:
    """A summary step's prompt as the model reads it, for counting it."""
    return [ChatMessage("system", system), ChatMessage("user", user, think=think)]


def _request(system: str, user: str, max_tokens: int, options: SummaryOptions,
             seed: int | None, think: bool | None, stop: tuple[str, ...]) -> GenerationRequest:
    sampling = SamplingSettings(
        temperature=options.temperature, top_k=40, top_p=0.9, min_p=0.05, repeat_penalty=1.1,
        seed=seed, max_tokens=max_tokens, loop_guard=options.loop_guard,
    )
    return GenerationRequest(
        messages=(ChatMessage("user", user, think=think),),
        settings=ChatSettings(system_prompt=system, sampling=sampling,
                              context_policy=ContextPolicy.STOP),
        stop=stop,
        stop_after_text=True,
    )


# --- time left ----------------------------------------------------------------------------


@dataclass
class _Clock:
    """Measured speeds on this document, and what the remaining work will take at them."""

    started: float = field(default_factory=time.perf_counter)
    prompt_rate: float | None = None
    generation_rate: float | None = None
    shown: float = 0.0

    def learn(self, done: GenerationDone) -> None:
        if done.evaluated_tokens >= 64 and done.seconds_to_first_token > 0:
            self.prompt_rate = done.evaluated_tokens / done.seconds_to_first_token
        if done.generated_tokens >= 4 and done.tokens_per_second > 0:
            self.generation_rate = done.tokens_per_second

    def seconds(self, prompt_tokens: float, output_tokens: float) -> float:
        return (prompt_tokens / (self.prompt_rate or GUESSED_PROMPT_RATE)
                + output_tokens / (self.generation_rate or GUESSED_GENERATION_RATE))

    def progress(self, remaining: float, step: int, steps: int) -> SummaryProgress:
        elapsed = time.perf_counter() - self.started
        fraction = elapsed / (elapsed + remaining) if elapsed + remaining > 0 else 1.0
        self.shown = max(self.shown, min(fraction, 1.0))
        known = self.prompt_rate is not None and self.generation_rate is not None
        return SummaryProgress(self.shown, remaining if known else None, step, steps)


# --- the summariser -------------------------------------------------------------------------


class _Stopped(Exception):
    """Stop was pressed; carries what the stopped step had written."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class _Run:
    """One summary in progress: the model, the budgets, the clock and the work still ahead."""

    runtime: ChatEngine
    options: SummaryOptions
    budgets: _Budgets
    cancel: threading.Event
    clock: _Clock = field(default_factory=_Clock)
    step: int = 0
    steps: int = 1
    part_outputs: list[int] = field(default_factory=list)
    # What is made so far, kept if the engine dies: the parts planned, the document's tokens,
    # the part summaries done and the text of the step running.
    parts: int = 0
    document_tokens: int = 0
    summaries: list[str] = field(default_factory=list)
    partial: str = ""
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("prompt_tokens", "evaluated_tokens", "generated_tokens", "repeating_steps"), 0))

    def expected_summary(self) -> float:
        if self.part_outputs:
            return sum(self.part_outputs) / len(self.part_outputs)
        return self.budgets.part_summary * 0.75

    def reduce_steps(self, summaries: int, tokens_each: float) -> list[tuple[float, float]]:
        """The combining rounds and the final answer still ahead, as (prompt, output) tokens."""
        work: list[tuple[float, float]] = []
        tokens_each = max(tokens_each, 1.0)
        while summaries > 1 and summaries * tokens_each > self.budgets.final:
            per_group = max(2, int(self.budgets.combine // tokens_each))
            groups = math.ceil(summaries / per_group)
            work += [(per_group * tokens_each, tokens_each)] * groups
            summaries = groups
        work.append((summaries * tokens_each, self.budgets.answer * 0.7))
        return work

    def run_step(
        self, stage: Stage, index: int, count: int, system: str, user: str, max_tokens: int,
        later: Sequence[tuple[float, float]],
    ) -> Generator[SummaryEvent, None, GenerationDone]:
        """One model run, with its events; raises _Stopped when Stop was pressed."""
        if self.cancel.is_set():
            raise _Stopped("")
        self.step += 1
        self.steps = max(self.steps, self.step + len(later))
        yield PartStarted(stage, index, count, self.step, self.steps)
        later_seconds = sum(self.clock.seconds(p, o) for p, o in later)
        seed = None if self.options.seed is None else (self.options.seed + self.step) % SEED_MAX
        think = summary_think(self.runtime)
        request = _request(system, user, max_tokens, self.options, seed, think,
                           summary_wording(self.runtime).stop)
        expected_output = self.expected_summary() if stage != "final" else max_tokens * 0.7
        prompt_left = float(len(self.runtime.tokenize_chat(_prompt(system, user, think))))
        written, self.partial = 0, ""
        # A summary is the answer: any thinking before it is left out of every step.
        splitter = ReasoningSplitter(reasoning_style(chat_template(self.runtime.loaded), think))
        for event in self.runtime.stream(request, self.cancel):
            if isinstance(event, GenerationDone):
                for part in splitter.finish():
                    if part.kind == "answer":
                        self.partial += part.text
                        yield SummaryText(part.text, stage, index)
                event = dataclasses.replace(event, text=splitter.answer)
                self.clock.learn(event)
                self.totals["prompt_tokens"] += event.prompt_tokens
                self.totals["evaluated_tokens"] += event.evaluated_tokens
                self.totals["generated_tokens"] += event.generated_tokens
                self.totals["repeating_steps"] += int(event.finish_reason == "repetition")
                if event.finish_reason == "cancelled":
                    raise _Stopped(event.text)
                return event
            if isinstance(event, PromptProgress):
                prompt_left = event.total - event.done
            elif isinstance(event, TextChunk):
                written += 1
                prompt_left = 0
                for part in splitter.feed(event.text):
                    if part.kind == "answer":
                        self.partial += part.text
                        yield SummaryText(part.text, stage, index)
                if written % PROGRESS_EVERY_TOKENS:
                    continue
            else:
                continue
            remaining = (self.clock.seconds(prompt_left, max(expected_output - written, 0))
                         + later_seconds)
            yield self.clock.progress(remaining, self.step, self.steps)
        raise RuntimeError("the runtime's stream ended without a result")


def summarize(
    runtime: ChatEngine, document: Document, options: SummaryOptions, cancel: threading.Event
) -> Iterator[SummaryEvent]:
    """Summarises `document` with the loaded model; the last event is always `SummaryDone`.

    Raises SettingsError for bad options, NoModelLoadedError, ContextOverflowError when the
    context window is too small for the answer asked for, and ModelError from llama.cpp.
    """
    options.check()
    budgets = _budgets(runtime, options)
    run = _Run(runtime, options, budgets, cancel)
    try:
        yield from _summarize(run, document)
    except EngineCrashedError:
        # Ended as Stop ends it, with what was made; the app says why the model stopped.
        final = run.partial if run.parts <= 1 or len(run.summaries) == run.parts else ""
        yield _done(run, document, final, run.parts, run.document_tokens,
                    tuple(run.summaries), cancelled=True, crashed=True)


def _summarize(run: _Run, document: Document) -> Iterator[SummaryEvent]:
    runtime, budgets, options, cancel = run.runtime, run.budgets, run.options, run.cancel
    text = document.text
    pieces: list[Piece] = []
    last_yield = time.perf_counter()
    # Counting a very long document takes seconds: hand control back every few milliseconds.
    for piece in split_pieces(text, budgets.part, runtime.count_tokens):
        pieces.append(piece)
        if time.perf_counter() - last_yield > 0.05:
            if cancel.is_set():
                yield _done(run, document, "", 0, 0, (), cancelled=True)
                return
            yield SummaryProgress(0.0, None, 0, 1)
            last_yield = time.perf_counter()
    document_tokens = run.document_tokens = sum(piece.tokens for piece in pieces)

    one_pass_system = options.system("one_pass")
    wording = summary_wording(runtime)
    one_pass_user = wording.document_user.format(text=text)
    if document_tokens <= budgets.one_pass and len(runtime.tokenize_chat(
            _prompt(one_pass_system, one_pass_user, summary_think(runtime))
    )) <= budgets.one_pass:
        run.parts = 1
        yield SummaryPlanned(1, 1, document_tokens, budgets.n_ctx)
        try:
            done = yield from run.run_step("final", 1, 1, one_pass_system, one_pass_user,
                                           budgets.answer, ())
        except _Stopped as stopped:
            yield _done(run, document, stopped.text, 1, document_tokens, (), cancelled=True)
            return
        yield _done(run, document, done.text, 1, document_tokens, ())
        return

    if len(pieces) == 1:  # one paragraph, too long for one pass: two parts, not one
        pieces = list(split_pieces(text, document_tokens // 2 + 1, runtime.count_tokens))
    chunks = pack(pieces, budgets.part, minimum_parts=2)
    run.parts = len(chunks)
    yield SummaryPlanned(len(chunks), len(chunks) + len(run.reduce_steps(
        len(chunks), run.expected_summary())), document_tokens, budgets.n_ctx)
    part_system = options.system("part")
    summaries = run.summaries
    try:
        while len(summaries) < len(chunks):
            index = len(summaries) + 1
            chunk_text = "".join(piece.text for piece in chunks[index - 1]).strip()
            # The pieces' counts add up to about the part's; counted whole, a rare part is a
            # few tokens over: it becomes two parts (the count is checked here, part by part,
            # so that planning a huge document does not count it all twice).
            if len(chunks[index - 1]) > 1 and runtime.count_tokens(chunk_text) > budgets.part:
                chunk = chunks[index - 1]
                chunks[index - 1:index] = [chunk[:len(chunk) // 2], chunk[len(chunk) // 2:]]
                run.parts = len(chunks)
                continue
            later = [(float(sum(piece.tokens for piece in rest)), run.expected_summary())
                     for rest in chunks[index:]]
            later += run.reduce_steps(len(chunks), run.expected_summary())
            user = wording.document_user.format(text=chunk_text)
            done = yield from run.run_step("part", index, len(chunks), part_system, user,
                                           budgets.part_summary, later)
            run.part_outputs.append(done.generated_tokens)
            summaries.append(_whole_sentences(done))
            yield PartDone("part", index, len(chunks), summaries[-1], done.prompt_tokens,
                           done.evaluated_tokens, done.generated_tokens)
        final = yield from _reduce(run, summaries)
    except _Stopped as stopped:
        yield _done(run, document, stopped.text, len(chunks), document_tokens,
                    tuple(summaries), cancelled=True)
        return
    yield _done(run, document, final, len(chunks), document_tokens, tuple(summaries))


def _whole_sentences(done: GenerationDone) -> str:
    """A summary cut off by its token limit or the loop guard, without its unfinished last
    sentence."""
    text = done.text.strip()
    if done.finish_reason not in ("length", "repetition"):
        return text
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    return text[:ends[-1]].strip() if ends and ends[-1] > len(text) // 3 else text


def _entries(summaries: Sequence[str], first: int = 1) -> str:
    return prompts.PART_SEPARATOR.join(
        prompts.PART_ENTRY.format(index=first + i, summary=summary)
        for i, summary in enumerate(summaries)
    )


def _reduce(run: _Run, summaries: list[str]) -> Generator[SummaryEvent, None, str]:
    """Combines part summaries into the final answer, in rounds while they do not fit."""
    runtime, budgets = run.runtime, run.budgets
    current = [summary for summary in summaries if summary]
    while len(current) > 1 and runtime.count_tokens(_entries(current)) > budgets.final:
        groups = group_summaries(runtime, current, budgets.combine)
        combined: list[str] = []
        system = run.options.system("combine")
        for index, group in enumerate(groups, start=1):
            if len(group) == 1:  # nothing to combine it with: it goes on as it is
                combined.append(group[0])
                continue
            later = [(float(runtime.count_tokens(_entries(rest))), run.expected_summary())
                     for rest in groups[index:]]
            later += run.reduce_steps(len(groups), run.expected_summary())
            user = summary_wording(runtime).parts_user.format(text=_entries(group))
            done = yield from run.run_step("combine", index, len(groups), system, user,
                                           budgets.part_summary, later)
            combined.append(_whole_sentences(done))
            yield PartDone("combine", index, len(groups), combined[-1], done.prompt_tokens,
                           done.evaluated_tokens, done.generated_tokens)
        current = [summary for summary in combined if summary] or combined[:1]
    system = run.options.system("final")
    user = summary_wording(runtime).parts_user.format(text=_entries(current))
    done = yield from run.run_step("final", 1, 1, system, user, budgets.answer, ())
    return done.text.strip()


def group_summaries(runtime: ChatEngine, summaries: list[str], limit: int) -> list[list[str]]:
    """Consecutive summaries in groups whose entries fit `limit`. Every summary is within a
    third of it, so groups hold several and each round shortens the list. A summary is counted
    as its entry reads in the prompt, separator and the widest part number included: a fixed
    allowance for them fell short by a token an entry, and long lists overflowed the context."""
    widest = len(summaries)
    pieces = [
        Piece(summary, runtime.count_tokens(prompts.PART_SEPARATOR + prompts.PART_ENTRY.format(
            index=widest, summary=summary)))
        for summary in summaries
    ]
    return [[piece.text for piece in part] for part in pack(pieces, limit)]


def _done(run: _Run, document: Document, text: str, parts: int, document_tokens: int,
          part_summaries: tuple[str, ...], cancelled: bool = False,
          crashed: bool = False) -> SummaryDone:
    if parts <= 1:
        context = prompts.CONTEXT_WHOLE.format(name=document.name, text=document.text)
    else:
        context = prompts.CONTEXT_PARTS.format(
            name=document.name, parts=parts, summaries=_entries(part_summaries))
    return SummaryDone(
        text=text.strip(), parts=parts, document_tokens=document_tokens,
        seconds=time.perf_counter() - run.clock.started, cancelled=cancelled,
        part_summaries=part_summaries, context=context, steps=run.step, crashed=crashed,
        **run.totals,
    )
