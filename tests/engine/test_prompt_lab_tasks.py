"""Prompt Lab tasks without the model: kinds, splits, task files, storage, statistics, metrics."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from engine.errors import PromptLabError
from engine.paths import app_paths
from engine.prompt_lab import metrics, stats
from engine.prompt_lab.calibration import Calibration
from engine.prompt_lab.evaluate import GREEDY
from engine.prompt_lab.preset import LabPreset
from engine.prompt_lab.prompts import Demo, PromptFormat, PromptSpec
from engine.prompt_lab.space import SearchSpace, label_word_sets
from engine.prompt_lab.storage import LabStore
from engine.prompt_lab.task_files import read_examples, write_examples
from engine.prompt_lab.tasks import Metric, TaskKind, infer_labels, make_task


def pairs(count: int, labels: tuple[str, ...] = ("spam", "ham")) -> list[tuple[str, str]]:
    return [(f"message number {i}", labels[i % len(labels)]) for i in range(count)]


# --- tasks -------------------------------------------------------------------------------


def test_outputs_from_a_small_set_make_a_classification_task() -> None:
    task = make_task("Mail", pairs(20))
    assert task.kind is TaskKind.CLASSIFICATION
    assert task.labels == ("spam", "ham")
    assert task.metric is Metric.ACCURACY


def test_varied_outputs_make_a_free_text_task() -> None:
    task = make_task("Dates", [(f"note {i}", f"2024-01-{i + 1:02d}") for i in range(12)])
    assert task.kind is TaskKind.FREE_TEXT
    assert task.labels == ()
    assert task.metric is Metric.CHRF
    assert infer_labels(["a", "b", "c"]) == ()  # every output once: not a label set


def test_labels_can_be_overridden_and_must_cover_every_output() -> None:
    task = make_task("Mail", pairs(10), labels=["ham", "spam", "unsure"])
    assert task.labels == ("ham", "spam", "unsure")
    with pytest.raises(PromptLabError, match="Example 2: output 'ham' is not one of the labels"):
        make_task("Mail", pairs(10), labels=["spam", "other"])


def test_a_free_text_task_can_be_forced() -> None:
    task = make_task("Mail", pairs(10), kind=TaskKind.FREE_TEXT, metric=Metric.EXACT)
    assert task.kind is TaskKind.FREE_TEXT and task.metric is Metric.EXACT


def test_the_split_is_stratified_and_keeps_every_label_on_both_sides() -> None:
    data = [*pairs(40, ("a", "b")), ("rare one", "c"), ("rare two", "c")]
    task = make_task("Three", data, test_fraction=0.25, seed=3)
    for label in ("a", "b", "c"):
        pool = [e for e in task.pool if e.output == label]
        test = [e for e in task.test if e.output == label]
        assert pool and test
    assert len([e for e in task.test if e.output == "a"]) == 5  # a quarter of 20
    assert {e.id for e in task.pool}.isdisjoint(e.id for e in task.test)


def test_the_split_depends_only_on_the_seed() -> None:
    first = make_task("Mail", pairs(40), seed=7)
    again = make_task("Mail", pairs(40), seed=7)
    other = make_task("Mail", pairs(40), seed=8)
    assert [e.split for e in first.examples] == [e.split for e in again.examples]
    assert [e.split for e in first.examples] != [e.split for e in other.examples]


def test_the_regex_metric_needs_a_valid_pattern() -> None:
    dates = [(f"note {i}", f"2024-01-{i + 1:02d}") for i in range(6)]
    task = make_task("Dates", dates, metric=Metric.REGEX, pattern=r"\d{4}-\d{2}-\d{2}")
    assert task.pattern == r"\d{4}-\d{2}-\d{2}"
    with pytest.raises(PromptLabError, match="needs a pattern"):
        make_task("Dates", dates, metric=Metric.REGEX)
    with pytest.raises(PromptLabError, match="not a valid regular expression"):
        make_task("Dates", dates, metric=Metric.REGEX, pattern="(unclosed")


def test_a_task_needs_a_name_and_examples() -> None:
    with pytest.raises(PromptLabError, match="needs a name"):
        make_task(" ", pairs(4))
    with pytest.raises(PromptLabError, match="at least two examples"):
        make_task("One", pairs(1))


# --- task files --------------------------------------------------------------------------


def test_jsonl_and_csv_import_and_export_round_trip(tmp_path: Path) -> None:
    tricky = [("Comma, \"quotes\"\nand a new line", "yes"), ("Ünïcödé ✓", "no")]
    task = make_task("Tricky", tricky * 3)
    for name in ("out.jsonl", "out.csv"):
        path = tmp_path / name
        write_examples(path, task.examples)
        assert read_examples(path) == tricky * 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"input": "a", "output": "b"}\n\n{"input": "c", "output": "d"\n',
         "tasks.jsonl line 3: not valid JSON"),
        ('{"input": "a", "output": "b"}\n{"input": "c"}\n',
         "tasks.jsonl line 2: output is missing"),
        ('{"input": "a", "output": 3}\n', "tasks.jsonl line 1: output is not text"),
        ('["a", "b"]\n', "tasks.jsonl line 1: expected an object"),
        ('{"input": "  ", "output": "b"}\n', "tasks.jsonl line 1: input and output must not be"),
    ],
)
def test_malformed_jsonl_is_refused_with_its_line_number(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptLabError, match=re.escape(message)):
        read_examples(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("question,answer\na,b\n", "tasks.csv line 1: the header has no input or output column"),
        ('input,output\n"first\nof two lines",yes\nthree,fields,here\n',
         "tasks.csv line 4: 3 fields, but the header has 2"),
        ('input,output\na,b\n"never closed,b\n', "tasks.csv line 3"),
        ("input,output\na,\n", "tasks.csv line 2: input and output must not be empty"),
    ],
)
def test_malformed_csv_is_refused_with_its_line_number(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptLabError, match=re.escape(message)):
        read_examples(path)


def test_files_that_are_not_utf8_or_not_task_files_are_refused(tmp_path: Path) -> None:
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"input": "a", "output": "b"}\n{"input": "caf\xe9", "output": "b"}\n')
    with pytest.raises(PromptLabError, match=r"latin\.jsonl line 2: not UTF-8"):
        read_examples(latin)
    with pytest.raises(PromptLabError, match=r"task files are \.jsonl or \.csv"):
        read_examples(tmp_path / "notes.txt")
    with pytest.raises(PromptLabError, match=r"Could not read missing\.csv"):
        read_examples(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("input,output\n", encoding="utf-8")
    with pytest.raises(PromptLabError, match="holds no examples"):
        read_examples(empty)


# --- the search space --------------------------------------------------------------------


def test_label_words_include_the_labels_and_known_synonyms() -> None:
    sets = label_word_sets(("pos", "neg"))
    assert sets[0] == ("pos", "neg")
    assert ("positive", "negative") in sets and ("good", "bad") in sets
    assert all(len(set(words)) == 2 for words in sets)


def test_candidates_depend_only_on_the_seed_and_use_only_the_demo_pool() -> None:
    task = make_task("Mail", pairs(40), instruction="Is this message spam or ham?")
    demo_pool = task.pool[:10]

    def draw(seed: int) -> list[PromptSpec]:
        space = SearchSpace(task, demo_pool, random.Random(seed))
        return [space.sample().spec for _ in range(12)]

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)
    space = SearchSpace(task, demo_pool, random.Random(1))
    allowed = {e.id for e in demo_pool}
    for _ in range(30):
        candidate = space.sample()
        assert set(candidate.demo_ids) <= allowed
        assert len(candidate.spec.demos) == len(candidate.demo_ids)


# --- storage -----------------------------------------------------------------------------


def preset(name: str) -> LabPreset:
    return LabPreset(
        name=name, task_name="Mail", kind=TaskKind.CLASSIFICATION, metric=Metric.ACCURACY,
        spec=PromptSpec(PromptFormat.PLAIN, "Spam?", (Demo("win money", "spam"),), ("spam", "ham")),
        labels=("spam", "ham"), calibration=Calibration.CONTEXTUAL, bias=(0.25, -0.25),
        sampling=GREEDY, max_tokens=64, model_name="model", model_fingerprint="f" * 64,
        run_id="run", test_score=0.9, test_n=30, validation_score=0.95,
    )


def test_tasks_and_presets_are_saved_and_read_back() -> None:
    store = LabStore.at(app_paths())
    task = make_task("Mail", pairs(12))
    store.save_task(task)
    assert store.load_task(task.id) == task
    assert store.tasks() == [task]
    store.save_preset(preset("Spam filter"))
    store.save_preset(preset("spam FILTER "))  # the same name: replaces it
    assert [p.name for p in store.presets()] == ["spam FILTER "]
    assert store.load_preset("Spam filter") == preset("spam FILTER ")


def test_a_damaged_file_is_skipped_and_left_in_place() -> None:
    store = LabStore.at(app_paths())
    good = make_task("Good", pairs(8))
    store.save_task(good)
    broken = store.root / "tasks" / "broken.json"
    broken.write_text('{"id": "broken", "name": ', encoding="utf-8")
    assert store.tasks() == [good]
    assert broken.read_text(encoding="utf-8") == '{"id": "broken", "name": '
    with pytest.raises(PromptLabError, match=r"Could not read broken\.json"):
        store.load_task("broken")
    (store.root / "presets").mkdir(parents=True)
    (store.root / "presets" / "odd.json").write_text(json.dumps({"name": 3}), encoding="utf-8")
    assert store.presets() == []


# --- statistics and metrics --------------------------------------------------------------


def test_wilson_interval_matches_the_textbook_values() -> None:
    interval = stats.wilson(225, 300)  # 75% of 300: about +-5 points
    assert interval.low == pytest.approx(0.6980, abs=1e-3)
    assert interval.high == pytest.approx(0.7958, abs=1e-3)
    assert stats.wilson(0, 10).low == 0.0
    assert stats.wilson(10, 10).high == pytest.approx(1.0)


def test_mcnemar_counts_only_the_disagreements() -> None:
    assert stats.mcnemar_p(0, 0) == 1.0
    assert stats.mcnemar_p(10, 0) == pytest.approx(2 / 1024)
    assert stats.mcnemar_p(5, 5) == 1.0
    comparison = stats.compare_paired([1, 1, 1, 0] * 10, [1, 0, 0, 0] * 10, seed=1)
    assert comparison.test == "mcnemar"
    assert (comparison.winner_only, comparison.baseline_only) == (20, 0)
    assert comparison.difference == pytest.approx(0.5)
    assert comparison.p_value < 1e-5
    assert comparison.interval.low > 0.3


def test_json_outputs_make_a_task_scored_field_by_field() -> None:
    pairs = [(f"text {i}", f'{{"id": {i}, "tag": "t{i}"}}') for i in range(6)]
    assert make_task("Extract", pairs).metric is Metric.JSON_FIELDS
    assert make_task("Extract", pairs, metric=Metric.EXACT).metric is Metric.EXACT
    mixed = [*pairs, ("text 7", "not json")]
    assert make_task("Extract", mixed).metric is Metric.CHRF


def test_json_fields_counts_the_expected_fields_the_answer_has() -> None:
    expected = '{"name": "Ada Lovelace", "born": 1815, "tags": ["math", "poetry"]}'
    assert metrics.json_fields(expected, expected) == 1.0
    # Text compares as normalised, numbers by value; a missing or wrong field costs its share.
    assert metrics.json_fields('{"name": " ada  LOVELACE", "born": 1815.0, "tags": ["math"]}',
                               expected) == 0.75
    assert metrics.json_fields('{"name": "Ada Lovelace", "born": true}', expected) == 0.25
    assert metrics.json_fields("Ada Lovelace, 1815", expected) == 0.0
    assert metrics.json_fields("[]", "[]") == 1.0  # nothing to compare: equal or not


def test_free_text_metrics() -> None:
    assert metrics.exact_match("  Paris ", "paris") == 1.0
    assert metrics.contains("It is Paris, France.", "paris") == 1.0
    assert metrics.matches("2024-05-01", r"\d{4}-\d{2}-\d{2}") == 1.0
    assert metrics.matches("on 2024-05-01", r"\d{4}-\d{2}-\d{2}") == 0.0
    assert metrics.matches("x", "(") == 0.0  # a broken pattern scores 0, never raises
    assert metrics.valid_json('{"a": 1}') == 1.0 and metrics.valid_json("{a: 1}") == 0.0
    assert metrics.rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    assert metrics.rouge_l("the cat", "a dog") == 0.0
    assert 0.0 < metrics.chrf("the cat sat", "the cat sat down") < 1.0
    assert metrics.chrf("same text", "same text") == pytest.approx(1.0)
