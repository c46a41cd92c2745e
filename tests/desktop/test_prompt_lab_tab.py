"""The Prompt Lab tab in a real window with the real model: a task from a file with its examples
and split, editing in place, import errors with line numbers, Quick tuning to the end with the
baseline against the winner, Stop and a model switch keeping the best so far, the model shared
with the chat, and a preset in a chat giving the label the tab measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.prompt_lab.tab import PromptLabTab
from desktop.prompt_lab.tables import OutcomeFilter
from desktop.prompt_lab.worker import TUNING_REASON
from engine.paths import app_paths
from engine.prompt_lab.in_chat import classification_reply
from engine.prompt_lab.preset import Classification
from engine.prompt_lab.results import TuneResult
from engine.prompt_lab.storage import LabStore
from engine.prompt_lab.task_files import read_examples
from engine.prompt_lab.tasks import Split, Task, TaskKind
from tests.desktop.conftest import WindowFactory

WAIT_MS = 60_000
TUNE_MS = 300_000

# Eight of each: 12 examples in the pool and 4 held out, so Quick tuning takes about a minute
# on two busy cores. The bundled model reads "pos"/"neg" poorly and "positive"/"negative" or
# "good"/"bad" well, so the search has something to find.
POSITIVE = ["I loved every minute of it.", "Wonderful and moving.",
            "A delight from start to finish.", "Great acting and a great story.",
            "Brilliant, funny and warm.", "The best film this year.", "Charming and clever.",
            "Superb in every way."]
NEGATIVE = ["I hated every minute of it.", "Boring and dull.", "A waste of two hours.",
            "Terrible acting and a silly story.", "Awful, just awful.",
            "The worst film this year.", "Tedious and cold.", "Dreadful in every way."]
PAIRS = [pair for good, bad in zip(POSITIVE, NEGATIVE, strict=True)
         for pair in ((good, "pos"), (bad, "neg"))]


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(json.dumps({"input": text, "output": label}) + "\n"
                            for text, label in PAIRS), encoding="utf-8")
    return path


def _tab(window: MainWindow) -> PromptLabTab:
    window.tabs.setCurrentWidget(window.prompt_lab_tab)
    return window.prompt_lab_tab


def _import(qtbot: QtBot, tab: PromptLabTab, path: Path) -> Task:
    with qtbot.waitSignal(tab._lab.taskImported, timeout=WAIT_MS) as imported:
        tab.import_file(str(path))
    task: Task = imported.args[0]
    qtbot.waitUntil(lambda: tab.task is not None and tab.task.id == task.id, timeout=WAIT_MS)
    return task


def _column(tab: PromptLabTab, column: int) -> list[str]:
    model = tab.editor.examples
    return [str(model.index(row, column).data()) for row in range(model.rowCount())]


def _tune_to_the_end(qtbot: QtBot, tab: PromptLabTab) -> TuneResult:
    qtbot.waitUntil(tab.tune_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(tab._lab.tuneFinished, timeout=TUNE_MS) as finished:
        tab.tune_button.click()
    result: TuneResult = finished.args[0]
    return result


def test_a_task_from_a_jsonl_file_shows_its_examples_split_and_budgets(
    qtbot: QtBot, open_window: WindowFactory, reviews: Path, tmp_path: Path
) -> None:
    tab = _tab(open_window())
    task = _import(qtbot, tab, reviews)
    assert tab.task_list.currentItem().text() == "reviews"
    assert list(zip(_column(tab, 0), _column(tab, 1), strict=True)) == PAIRS
    sets = _column(tab, 2)
    assert sets.count("pool") == 12 and sets.count("held out") == 4
    assert [e.split is Split.TEST for e in task.examples] == [s == "held out" for s in sets]
    assert "12 in the pool" in tab.editor.split_label.text()
    assert "4 held out" in tab.editor.split_label.text()
    assert tab.editor.kind_label.text() == "2 labels: pos, neg"
    # Each budget is labelled with its time, measured on this model and task.
    qtbot.waitUntil(lambda: "about" in tab.budget_box.itemText(0), timeout=WAIT_MS)
    assert [tab.budget_box.itemText(i).split(" ·")[0] for i in range(3)] == [
        "Quick", "Standard", "Thorough"]

    # An example edited in place is saved at once; the split does not move.
    index = tab.editor.examples.index(0, 0)
    with qtbot.waitSignal(tab._lab.taskSaved, timeout=WAIT_MS):
        assert tab.editor.examples.setData(index, "I loved every single minute of it.")
    saved = LabStore.at(app_paths()).load_task(task.id)
    assert saved.examples[0].input == "I loved every single minute of it."
    assert [e.split for e in saved.examples] == [e.split for e in task.examples]

    # Exported back in both formats, the examples read the same.
    for name in ("back.csv", "back.jsonl"):
        with qtbot.waitSignal(tab._lab.exported, timeout=WAIT_MS):
            tab.export_file(str(tmp_path / name))
        assert read_examples(tmp_path / name) == [(e.input, e.output) for e in saved.examples]


def test_a_draft_says_what_it_lacks_until_it_makes_a_task(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    tab = _tab(open_window())
    tab.new_task()
    assert not tab.tune_button.isEnabled()
    model = tab.editor.examples
    with qtbot.waitSignal(tab._lab.taskRefused, timeout=WAIT_MS):
        model.setData(model.index(0, 0), "Lovely.")
    assert tab.editor.task_status.text() == "Example 1: the expected output is empty."
    model.setData(model.index(0, 1), "good")
    model.setData(model.index(1, 0), "Dreadful.")
    with qtbot.waitSignal(tab._lab.taskSaved, timeout=WAIT_MS):
        model.setData(model.index(1, 1), "bad")
    assert tab.editor.task_status.text() == ""
    assert tab.task is not None and tab.task.name == "New task"
    assert tab.task.kind is TaskKind.FREE_TEXT  # two distinct outputs are not a label set
    # Too small to tune: the tab says so where the budgets are, without measuring anything.
    qtbot.waitUntil(lambda: tab.progress_label.text().startswith("Tuning needs at least 4"),
                    timeout=WAIT_MS)
    assert [tab.task_list.item(i).text() for i in range(tab.task_list.count())] == ["New task"]


def test_a_malformed_csv_is_refused_with_its_line_number(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    tab = _tab(open_window())
    bad = tmp_path / "bad.csv"
    bad.write_text('input,output\n"Fine film.",pos\n"Dull film.",neg\n"Odd film.",neg,extra\n',
                   encoding="utf-8")
    with qtbot.waitSignal(tab._lab.importFailed, timeout=WAIT_MS):
        tab.import_file(str(bad))
    assert tab.problem_label.isVisible()
    assert tab.problem_label.text() == "bad.csv line 4: 3 fields, but the header has 2."
    assert tab.task_list.count() == 0


def test_quick_tuning_shows_the_winner_against_the_baseline_and_a_preset_labels_in_a_chat(
    qtbot: QtBot, open_window: WindowFactory, reviews: Path
) -> None:
    window = open_window()
    tab = _tab(window)
    task = _import(qtbot, tab, reviews)
    client = window.client
    progress: list[object] = []
    tab._lab.tuneProgress.connect(lambda _task, event: progress.append(event))
    qtbot.waitUntil(tab.tune_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(tab._lab.tuneFinished, timeout=TUNE_MS) as finished:
        tab.tune_button.click()
        assert tab.stop_button.isEnabled() and not tab.tune_button.isEnabled()
        # The engine thread keeps serving requests between scoring passes: a chat message
        # is answered at once, with the reason it has to wait.
        qtbot.waitUntil(lambda: len(progress) >= 2, timeout=WAIT_MS)
        chat_id = window.chat_panel.chat_id
        assert chat_id is not None
        with qtbot.waitSignal(client.turnRefused, timeout=WAIT_MS) as refused:
            client.send(chat_id, "Hello?")
        assert refused.args[3] == TUNING_REASON == "The Prompt Lab is tuning; stop it or wait."
        assert "candidates in play" in tab.progress_label.text()
    result: TuneResult = finished.args[0]
    held = result.held_out
    assert not result.stopped and held is not None and held.n == 4
    assert len(progress) >= 5  # live progress, in many steps

    results = tab.results
    assert tab.pages.currentWidget() is results
    assert tab.progress_label.text().startswith("Finished after")
    candidates = results.candidates
    assert candidates.rowCount() == len(result.candidates)
    assert candidates.index(0, 0).data() == f"{result.winner.id} ★ best"
    summary = results.summary_label.text()
    assert f"baseline <b>{held.baseline_score:.0%}</b>" in summary
    assert f"best prompt <b>{held.winner_score:.0%}</b>" in summary
    assert f"{held.comparison.test} p = " in summary
    assert results.outcomes.rowCount() == held.n
    results.filter_box.setCurrentIndex(list(OutcomeFilter).index(OutcomeFilter.WINNER_BETTER))
    assert results.outcomes.rowCount() == held.comparison.winner_only
    results.filter_box.setCurrentIndex(0)
    assert len(results.chart.points) == len(result.history) >= 1
    assert results.chart.end == pytest.approx(result.search_seconds)
    qtbot.waitUntil(lambda: results.runs_box.count() == 1, timeout=WAIT_MS)
    assert "quick" in results.runs_box.itemText(0)
    assert [run.run_id for run in LabStore.at(app_paths()).runs(task.id)] == [result.run_id]

    # Saved as a preset and used in a new chat, it answers a held-out example with the label
    # and confidence the tab showed for it.
    with qtbot.waitSignal(tab._lab.presetsListed, timeout=WAIT_MS):
        tab.save_preset(result, "Reviews")
    assert tab.preset_list.count() == 1 and tab.preset_list.item(0).text() == "Reviews"
    tab.preset_list.setCurrentRow(0)
    with qtbot.waitSignal(tab.chatStarted, timeout=WAIT_MS) as started:
        tab.use_preset_button.click()
    preset_chat = started.args[0]
    assert window.tabs.currentWidget() is window.chat_tab
    qtbot.waitUntil(lambda: window.chat_panel.chat_id == preset_chat, timeout=WAIT_MS)
    outcome = held.examples[0]
    with qtbot.waitSignal(client.replyEnded, timeout=WAIT_MS) as ended:
        client.send(preset_chat, outcome.input)
    assert outcome.winner_confidence is not None
    expected = Classification(outcome.winner_answer, outcome.winner_confidence, ())
    assert ended.args[1].content == classification_reply(expected)
    messages = window.chat_panel.messages
    qtbot.waitUntil(lambda: messages.rowCount() == 3, timeout=WAIT_MS)
    assert messages.index(2).data(Qt.ItemDataRole.DisplayRole) == classification_reply(expected)


def test_stop_keeps_the_best_candidate_so_far(
    qtbot: QtBot, open_window: WindowFactory, reviews: Path
) -> None:
    window = open_window()
    tab = _tab(window)
    _import(qtbot, tab, reviews)
    qtbot.waitUntil(tab.tune_button.isEnabled, timeout=WAIT_MS)
    scored: list[object] = []
    tab._lab.candidatesScored.connect(lambda _task, rows: scored.extend(rows))
    tab.tune_button.click()
    qtbot.waitUntil(lambda: len(scored) >= 2, timeout=TUNE_MS)
    with qtbot.waitSignal(tab._lab.tuneFinished, timeout=WAIT_MS) as finished:
        tab.stop_button.click()
    result: TuneResult = finished.args[0]
    assert result.stopped and result.held_out is None
    assert result.winner.score is not None
    assert tab.progress_label.text().endswith("the best prompt so far is kept.")
    assert "<b>Stopped</b>" in tab.results.summary_label.text()
    assert tab.results.candidates.index(0, 0).data() == f"{result.winner.id} ★ best"
    assert tab.tune_button.isEnabled() and not tab.stop_button.isEnabled()
    assert tab.results.save_button.isEnabled()  # the best so far can still become a preset
    # The model is the chat's again.
    chat_id = window.chat_panel.chat_id
    assert chat_id is not None
    with qtbot.waitSignal(window.client.replyEnded, timeout=WAIT_MS) as ended:
        window.client.send(chat_id, "Hello!")
    assert ended.args[1] is not None and ended.args[1].content.strip()


def test_a_model_switch_stops_tuning_first_and_a_reply_blocks_tuning(
    qtbot: QtBot, open_window: WindowFactory, reviews: Path, bundled_model: Path
) -> None:
    window = open_window()
    tab = _tab(window)
    _import(qtbot, tab, reviews)
    client = window.client
    qtbot.waitUntil(tab.tune_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(tab._lab.tuneStarted, timeout=WAIT_MS):
        tab.tune_button.click()
    events: list[str] = []
    tab._lab.tuneFinished.connect(lambda result: events.append(f"stopped={result.stopped}"))
    client.modelLoaded.connect(lambda *_args: events.append("loaded"))
    client.load_model(str(bundled_model))
    qtbot.waitUntil(lambda: "loaded" in events, timeout=WAIT_MS)
    assert events == ["stopped=True", "loaded"]
    assert tab.tune_button.isEnabled()

    # While a reply is being written the model is the chat's: tuning is refused, plainly.
    qtbot.waitUntil(tab.tune_button.isEnabled, timeout=WAIT_MS)
    chat_id = window.chat_panel.chat_id
    assert chat_id is not None
    with qtbot.waitSignal(tab._lab.tuneFailed, timeout=WAIT_MS) as failed:
        client.send(chat_id, "Tell me a long story about a lighthouse.")
        tab.tune_button.click()
    assert failed.args[1] == "A reply is being written; wait for it or stop it."
    assert tab.problem_label.text() == failed.args[1]
    assert tab.tune_button.isEnabled()
    qtbot.waitUntil(lambda: not client.busy, timeout=WAIT_MS)
