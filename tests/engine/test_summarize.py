"""Summaries on the real bundled model: splitting, one pass, map-reduce over real speeches, Stop.

Model time is kept small for a 2-core machine: a 384-token context, so a thousand tokens of
speech already make several parts, and short part summaries. Greedy sampling with a seed
makes every run the same.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.documents import summary_prompts as prompts
from engine.documents.reading import Document, pasted_document
from engine.documents.splitting import Piece, pack, split_pieces
from engine.documents.summarize import (
    PartDone,
    PartStarted,
    SummaryDone,
    SummaryEvent,
    SummaryOptions,
    SummaryPlanned,
    SummaryProgress,
    SummaryText,
    group_summaries,
    summarize,
    summary_wording,
)
from engine.errors import ContextOverflowError, NoModelLoadedError, SettingsError
from engine.host.runtime import Runtime
from engine.settings import RuntimeSettings
from tests.conftest import TEST_THREADS
from tests.engine.documents_data import PLANTED_NAME, PLANTED_SECTION, speech_lines
from tests.engine.test_templates import base_copy

N_CTX = 384
QUICK = SummaryOptions(words=30, part_tokens=40, temperature=0.0, seed=1)


@pytest.fixture(scope="module")
def small_runtime(bundled_model: Path) -> Iterator[Runtime]:
    own = Runtime()
    own.load(bundled_model, RuntimeSettings(n_ctx=N_CTX), n_threads=TEST_THREADS)
    yield own
    own.close()


def speech_of_tokens(runtime: Runtime, tokens: int, skip: int = 0) -> str:
    """Whole lines of a real speech, about `tokens` tokens long."""
    lines = speech_lines(400, skip=skip).split("\n")
    for count in range(1, len(lines) + 1):
        text = "\n".join(lines[:count])
        if runtime.count_tokens(text) >= tokens:
            return text
    raise AssertionError("the speech is shorter than asked")


def run(runtime: Runtime, document: Document, options: SummaryOptions,
        cancel: threading.Event | None = None) -> list[SummaryEvent]:
    return list(summarize(runtime, document, options, cancel or threading.Event()))


def without_progress(events: list[SummaryEvent]) -> list[SummaryEvent]:
    return [event for event in events if not isinstance(event, SummaryProgress | SummaryText)]


def test_pieces_keep_every_character_and_stay_within_the_limit(runtime: Runtime) -> None:
    text = pasted_document(speech_lines(120)).text
    pieces = list(split_pieces(text, 40, runtime.count_tokens))
    assert "".join(piece.text for piece in pieces) == text
    start = 0
    for piece in pieces:
        assert piece.tokens == runtime.count_tokens(piece.text) <= 40
        if not piece.text.endswith("\n"):  # cut inside a line: only a line too long for a part
            line_end = text.find("\n", start)
            line = text[text.rfind("\n", 0, start) + 1:line_end + 1 if line_end >= 0 else None]
            assert runtime.count_tokens(line) > 40
        start += len(piece.text)


def test_a_line_longer_than_a_part_is_cut_at_sentences_then_words(runtime: Runtime) -> None:
    sentences = "The delegates cheered. The band played on! Was it late? Yes. " * 4
    words = "word " * 60
    blob = "QmFzZTY0" * 120  # no space anywhere: cut where the tokens allow
    for text, boundary in ((sentences, " "), (words, " "), (blob, "")):
        pieces = list(split_pieces(text, 24, runtime.count_tokens))
        assert "".join(piece.text for piece in pieces) == text
        assert len(pieces) > 1 and all(piece.tokens <= 24 for piece in pieces)
        if boundary:
            assert all(piece.text.endswith(boundary) for piece in pieces[:-1])
    sentence_pieces = list(split_pieces(sentences, 24, runtime.count_tokens))
    assert all(piece.text.rstrip().endswith((".", "!", "?")) for piece in sentence_pieces)


CHINESE = ("北京是中国的首都。它有三千多年的历史！你去过故宫吗？"
           "长城很长；每年都有很多游客。“真的吗？！”他问。")
CHINESE_SENTENCES = ["北京是中国的首都。", "它有三千多年的历史！", "你去过故宫吗？",
                     "长城很长；", "每年都有很多游客。", "“真的吗？！”", "他问。"]


def test_a_chinese_document_splits_into_sentences_keeping_every_character() -> None:
    # No space follows 。！？ in Chinese: each still ends a sentence (a closing quote with it).
    pieces = list(split_pieces(CHINESE, 12, len))
    assert [piece.text for piece in pieces] == CHINESE_SENTENCES
    assert "".join(piece.text for piece in pieces) == CHINESE
    assert all(piece.tokens == len(piece.text) <= 12 for piece in pieces)
    assert list(split_pieces(CHINESE, len(CHINESE), len)) == [Piece(CHINESE, len(CHINESE))]


def test_japanese_and_mixed_text_split_at_sentences(runtime: Runtime) -> None:
    japanese = "東京都の天気は晴れです。明日は雨が降るでしょう！「本当？」と彼は言った。" * 6
    pieces = list(split_pieces(japanese, 24, runtime.count_tokens))
    assert "".join(piece.text for piece in pieces) == japanese
    assert len(pieces) == 4 * 6 and all(piece.tokens <= 24 for piece in pieces)
    assert all(piece.text.endswith(("。", "！", "」", "？")) for piece in pieces)
    mixed = "Version 3.5 is out. 新版本发布了。 It is faster!"
    assert [piece.text for piece in split_pieces(mixed, 8, len)][:3] == [
        "Version ", "3.5 ", "is "]  # no sentence fits 8: cut at words, "3.5" whole
    assert [piece.text for piece in split_pieces(mixed, 20, len)] == [
        "Version 3.5 is out. ", "新版本发布了。 ", "It is faster!"]


def test_parts_are_balanced_rather_than_a_short_last_one() -> None:
    pieces = [Piece(f"{index} ", 10) for index in range(25)]  # 250 tokens, 100 a part
    parts = pack(pieces, 100)
    assert [sum(piece.tokens for piece in part) for part in parts] == [90, 90, 70]
    assert [piece for part in parts for piece in part] == pieces
    assert len(pack(pieces[:3], 100, minimum_parts=2)) == 2


def test_summaries_are_grouped_by_their_entries_as_the_prompt_reads_them(
    runtime: Runtime,
) -> None:
    summaries = [f"The speaker promised {index} new schools and lower taxes." for index in
                 range(40)]
    limit = 120
    groups = group_summaries(runtime, summaries, limit)
    assert [summary for group in groups for summary in group] == summaries
    assert len(groups) > 1
    for group in groups:  # the entries as the combining prompt will hold them
        entries = prompts.PART_SEPARATOR.join(
            prompts.PART_ENTRY.format(index=index, summary=summary)
            for index, summary in enumerate(group, start=1))
        assert runtime.count_tokens(entries) <= limit


def test_a_short_document_is_summarised_in_one_pass(small_runtime: Runtime) -> None:
    document = pasted_document(speech_of_tokens(small_runtime, 150), "clinton.txt")
    events = run(small_runtime, document, QUICK)
    planned, started, done = without_progress(events)
    assert isinstance(planned, SummaryPlanned) and planned.parts == 1 and planned.steps == 1
    assert isinstance(started, PartStarted) and started.stage == "final"
    assert isinstance(done, SummaryDone) and not done.cancelled
    assert done.text and done.text == "".join(
        event.text for event in events if isinstance(event, SummaryText)).strip()
    assert (done.parts, done.part_summaries) == (1, ())
    assert done.context == f"The document clinton.txt:\n\n{document.text}"
    assert str(done.note).startswith("Made in one pass over the whole document (")


@pytest.mark.slow
def test_every_part_of_a_long_document_is_read_and_combined(small_runtime: Runtime) -> None:
    text = speech_of_tokens(small_runtime, 3 * N_CTX - 200) + "\n" + PLANTED_SECTION
    document = pasted_document(text, "convention.txt")
    options = SummaryOptions(words=100, part_tokens=40, temperature=0.0, seed=1)
    events = run(small_runtime, document, options)
    steps = without_progress(events)

    planned = steps[0]
    assert isinstance(planned, SummaryPlanned) and planned.parts >= 4
    total = small_runtime.count_tokens(document.text)
    assert abs(planned.document_tokens - total) <= total // 50
    done = events[-1]
    assert isinstance(done, SummaryDone) and not done.cancelled and done.parts == planned.parts

    # Each model run starts, then ends, in order; parts first, then combining, then the answer.
    started = [event for event in steps if isinstance(event, PartStarted)]
    assert [event.step for event in started] == list(range(1, len(started) + 1))
    assert [event.index for event in started if event.stage == "part"] == list(
        range(1, planned.parts + 1))
    stages = [event.stage for event in started]
    assert stages == sorted(stages, key=["part", "combine", "final"].index)
    assert stages[-1] == "final" and "combine" in stages  # the summaries needed a round
    expected: list[tuple[str, str, int]] = []
    for event in started:
        expected.append(("PartStarted", event.stage, event.index))
        if event.stage != "final":  # the answer's end is SummaryDone
            expected.append(("PartDone", event.stage, event.index))
    assert [(type(event).__name__, getattr(event, "stage", ""), getattr(event, "index", 0))
            for event in steps[1:-1]] == expected

    # Every token of the document went through the model, the instruction from the KV cache.
    parts = [event for event in steps if isinstance(event, PartDone) and event.stage == "part"]
    assert sum(part.prompt_tokens for part in parts) >= planned.document_tokens
    assert all(part.prompt_tokens + options.part_tokens <= N_CTX for part in parts)
    assert all(part.prompt_tokens - part.evaluated_tokens >= 20 for part in parts[1:])
    # The fact planted at the end reached the last part's summary, and the chat keeps it.
    assert PLANTED_NAME in parts[-1].summary
    assert done.part_summaries == tuple(part.summary for part in parts)
    assert parts[-1].summary in done.context
    assert str(done.note).startswith(f"Made from {planned.parts} parts of the document (")

    progress = [event for event in events if isinstance(event, SummaryProgress)]
    fractions = [event.fraction for event in progress]
    assert fractions == sorted(fractions) and fractions[0] > 0 and fractions[-1] <= 1
    assert progress[-1].seconds_left is not None
    assert done.text == "".join(
        event.text for event in events
        if isinstance(event, SummaryText) and event.stage == "final").strip()


def test_one_paragraph_just_too_long_for_one_pass_is_read_in_two_parts(
    small_runtime: Runtime,
) -> None:
    words = speech_lines(40, skip=90).split()
    line = ""
    while small_runtime.count_tokens(line) < 265:  # fits a part, not one pass with its answer
        line += words.pop(0) + " "
    events = run(small_runtime, pasted_document(line), QUICK)
    planned, done = events[0], events[-1]
    assert isinstance(planned, SummaryPlanned) and planned.parts == 2
    assert isinstance(done, SummaryDone) and len(done.part_summaries) == 2


def test_stop_while_a_long_document_is_counted(small_runtime: Runtime) -> None:
    document = pasted_document("\n\n".join(speech_lines(400) for _ in range(12)))
    cancel = threading.Event()
    events = []
    for event in summarize(small_runtime, document, QUICK, cancel):
        events.append(event)
        cancel.set()  # at the first event: counting hands control back before it finishes
    progress, done = events
    assert isinstance(progress, SummaryProgress) and progress.fraction == 0
    assert isinstance(done, SummaryDone) and done.cancelled and done.parts == 0
    assert str(done.note).startswith("Stopped while the document was counted")


def test_stop_between_parts_keeps_the_parts_done(small_runtime: Runtime) -> None:
    document = pasted_document(speech_of_tokens(small_runtime, 2 * N_CTX, skip=60))
    cancel = threading.Event()
    events: list[SummaryEvent] = []
    for event in summarize(small_runtime, document, QUICK, cancel):
        events.append(event)
        if isinstance(event, PartDone):
            cancel.set()  # as the Stop button does, from the consumer's side
    steps = without_progress(events)
    assert [type(event) for event in steps] == [
        SummaryPlanned, PartStarted, PartDone, SummaryDone]
    first, done = steps[2], steps[3]
    assert isinstance(first, PartDone) and isinstance(done, SummaryDone)
    assert done.cancelled and done.part_summaries == (first.summary,)
    assert str(done.note).startswith("Stopped; partly made from")


def test_stop_while_a_part_is_written_ends_within_a_token(small_runtime: Runtime) -> None:
    document = pasted_document(speech_of_tokens(small_runtime, 2 * N_CTX, skip=120))
    cancel = threading.Event()
    after_stop: list[SummaryEvent] = []
    for event in summarize(small_runtime, document, QUICK, cancel):
        if cancel.is_set():
            after_stop.append(event)
        elif isinstance(event, SummaryText):
            cancel.set()
    texts = [event for event in after_stop if isinstance(event, SummaryText)]
    done = after_stop[-1]
    assert len(texts) <= 1  # at most the token that was already decoded
    assert isinstance(done, SummaryDone) and done.cancelled and done.part_summaries == ()
    assert not any(isinstance(event, PartStarted | PartDone) for event in after_stop)


@pytest.mark.parametrize(
    ("options", "field"),
    [(SummaryOptions(words=5), "words"), (SummaryOptions(words=5000), "words"),
     (SummaryOptions(part_tokens=8), "part_tokens"),
     (SummaryOptions(temperature=3), "temperature")],
)
def test_options_out_of_range_are_refused(
    small_runtime: Runtime, options: SummaryOptions, field: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        run(small_runtime, pasted_document("Some text."), options)
    assert list(caught.value.errors) == [field]


def test_a_context_too_small_for_the_answer_is_refused(bundled_model: Path) -> None:
    tiny = Runtime()
    tiny.load(bundled_model, RuntimeSettings(n_ctx=256), n_threads=TEST_THREADS)
    try:
        with pytest.raises(ContextOverflowError, match=r"The context window \(256 tokens\)"):
            run(tiny, pasted_document("Some text."), SummaryOptions(words=2000))
    finally:
        tiny.close()


def test_summarising_without_a_model_says_so() -> None:
    with pytest.raises(NoModelLoadedError):
        run(Runtime(), pasted_document("Some text."), QUICK)


def test_a_base_model_is_asked_by_a_cue_and_its_first_paragraph_is_the_summary(
    bundled_model: Path, tmp_path: Path
) -> None:
    """A base model follows no instruction: it gets the text and "TL;DR:", and what it writes
    after its first paragraph is the text going on, made up, so the step stops there."""
    base = Runtime()
    base.load(base_copy(bundled_model, tmp_path), RuntimeSettings(n_ctx=N_CTX),
              n_threads=TEST_THREADS)
    try:
        assert summary_wording(base) is prompts.CONTINUED
        text = speech_of_tokens(base, 150)
        events = run(base, pasted_document(text, "speech"), QUICK)
    finally:
        base.close()
    done = events[-1]
    assert isinstance(done, SummaryDone) and done.parts == 1
    summary = done.text.strip()
    assert summary and "\n\n" not in summary
    assert summary not in text  # not the document given back
