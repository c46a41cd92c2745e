"""The Prompt Lab on a remote engine, which gives no log-probabilities: the search falls back to
the task's metric on generated answers, and its results say so.

The scripted server plays a model that reads reviews well but only ever answers "positive" or
"negative": the task's own labels ("pos"/"neg") never appear in its answers, so a prompt that
uses the words it writes is obviously better, as in the local search's test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from engine.paths import app_paths
from engine.prompt_lab.budget import SearchPlan, estimate_seconds
from engine.prompt_lab.evaluate import Evaluator
from engine.prompt_lab.metrics import match_label
from engine.prompt_lab.results import TuneResult
from engine.prompt_lab.scorer import Scorer
from engine.prompt_lab.search import GENERATION_NOTE, SearchFinished, SearchStarted, tune
from engine.prompt_lab.tasks import Metric, TaskKind, make_task
from engine.remote.client import Timeouts
from engine.remote.engine import RemoteEngine
from tests.engine.test_prompt_lab_search import NEGATIVE, POSITIVE, sentiment_task
from tests.remote_script_server import ClosingEngines, ScriptServer, last_user_message

PLAN = SearchPlan(candidates=6, keep=2, minibatch=12, validation=12)


def reads_reviews(body: object) -> str:
    review = last_user_message(body)
    return "positive" if review in POSITIVE else "negative" if review in NEGATIVE else "unsure"


pytestmark = pytest.mark.usefixtures("no_keyring", "remote_engines_closed")


@pytest.fixture
def server() -> Iterator[ScriptServer]:
    scripted = ScriptServer()
    scripted.responder = reads_reviews
    yield scripted
    scripted.close()


@pytest.fixture
def remote(server: ScriptServer) -> Iterator[RemoteEngine]:
    engines = ClosingEngines(app_paths().ensure(), timeouts=Timeouts(connect=2, read=5))
    engines.add("script", server.base_url)
    engine = engines.open_model("remote:script/script-model")
    yield engine
    engine.close()


def test_a_remote_search_ranks_prompts_by_their_generated_answers(
    remote: RemoteEngine, server: ScriptServer
) -> None:
    task = sentiment_task()
    events = list(tune(remote, task, PLAN, 5, threading.Event()))
    started, finished = events[0], events[-1]
    assert isinstance(started, SearchStarted) and isinstance(finished, SearchFinished)
    assert GENERATION_NOTE in started.warnings  # shown in the tab while the search runs
    result = finished.result
    assert result.scored_by == "generated answers" and GENERATION_NOTE in result.warnings
    assert result.model.path == "remote:script/script-model"
    assert result.model.fingerprint_method.startswith("sha256 of the remote engine's address")

    assert result.baseline.spec.label_words == ("pos", "neg")
    assert result.baseline.score == 0.0  # it answers "positive", which is not "pos"
    assert result.winner.score == 1.0
    assert set(result.winner.spec.label_words) == {"positive", "negative"}
    held = result.held_out
    assert held is not None and held.n == len(task.test) == 8
    assert (held.baseline_score, held.winner_score) == (0.0, 1.0)
    assert {o.winner_answer for o in held.examples} == {"pos", "neg"}  # as the task's labels
    assert all(o.winner_confidence is None for o in held.examples)
    # Saved and read back, the run keeps how it was scored.
    assert TuneResult.from_dict(result.to_dict()).scored_by == "generated answers"
    # Greedy answers, and never a held-out review before the final comparison.
    asked = [r.body for r in server.requests if r.path == "/v1/chat/completions"]
    assert all(body["temperature"] == 0.0 for body in asked)
    test_inputs = {e.input for e in task.test}
    final = 2 * len(test_inputs)
    assert not any(last_user_message(body) in test_inputs for body in asked[:-final])


def test_free_text_on_a_remote_engine_is_scored_by_its_metric(
    remote: RemoteEngine, server: ScriptServer
) -> None:
    server.responder = lambda body: f"Answer: {last_user_message(body).upper()}"
    pairs = [(word, word.upper()) for word in (
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lima")]
    task = make_task("Shout", pairs, kind=TaskKind.FREE_TEXT, metric=Metric.CONTAINS,
                     test_fraction=0.25, seed=0)
    finished = list(tune(remote, task, SearchPlan(candidates=3, keep=1, minibatch=4,
                                                  validation=4), 1, threading.Event()))[-1]
    assert isinstance(finished, SearchFinished)
    held = finished.result.held_out
    assert held is not None and held.winner_score == 1.0
    assert finished.result.winner.score == 1.0


def test_budget_estimates_time_generated_answers(remote: RemoteEngine) -> None:
    estimates = estimate_seconds(Evaluator(Scorer(remote)), sentiment_task())
    assert all(seconds > 0 for seconds in estimates.values())
    assert list(estimates.values()) == sorted(estimates.values())


@pytest.mark.parametrize(("answer", "found"), [
    ("Positive.", 0), ("negative, because it drags", 1), ("I think it is **negative**.", 1),
    ("positive or negative", None), ("unsure", None), ("", None),
])
def test_a_generated_answer_is_read_as_a_label(answer: str, found: int | None) -> None:
    assert match_label(answer, ("positive", "negative")) == found
