"""Speculative decoding with a draft model (engine/host/drafting.py): the loaded model's own text
whatever drafts, the draft model's switch, and a draft model that cannot draft refused.

The bundled model drafts for itself here: the only pair with one vocabulary that `make test`
installs (Qwen2.5-Coder 0.5B drafting for 1.5B is `make bench-speculative`'s pair). Its greedy
drafts are what the loaded model would write, so nearly all are kept: that shows the drafts are
the draft model's (a free-chat turn has no prompt to look drafts up in) and that checking them
changes nothing of the text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.errors import ModelError
from engine.host.client import HostRuntime
from engine.host.runtime import Runtime
from engine.host.speculation import DRAFT_MAX, DRAFTS_JUDGED, REST_TOKENS, Speculator
from engine.settings import RuntimeSettings
from tests.conftest import TEST_THREADS
from tests.engine.test_speculation import PROMPT, TURNS, assert_the_models_own_text, run


@pytest.mark.parametrize("turn", ["free chat", "code edit"])
def test_a_draft_models_drafts_leave_the_loaded_models_text_as_it_is(
    fresh_runtime: Runtime, bundled_model: Path, turn: str
) -> None:
    plain = run(fresh_runtime, TURNS[turn], "off", max_tokens=64)
    fresh_runtime.attach_draft(bundled_model)
    drafted = run(fresh_runtime, TURNS[turn], "always", max_tokens=64)
    done = drafted[1]
    assert done.drafted_tokens >= plain[1].generated_tokens // 4
    assert done.accepted_tokens >= 0.8 * done.drafted_tokens  # its own greedy choices
    assert_the_models_own_text(fresh_runtime, TURNS[turn], plain, drafted)


def test_detached_the_draft_model_drafts_no_more(
    fresh_runtime: Runtime, bundled_model: Path
) -> None:
    _tokens, lookup_only = run(fresh_runtime, TURNS["free chat"], "always", max_tokens=48)
    fresh_runtime.attach_draft(bundled_model)
    assert fresh_runtime.attach_draft(None).draft_model == ""
    _tokens, detached = run(fresh_runtime, TURNS["free chat"], "always", max_tokens=48)
    # Only the reply's own repeats are looked up, as before the draft model came.
    assert (detached.text, detached.drafted_tokens, detached.accepted_tokens) == (
        lookup_only.text, lookup_only.drafted_tokens, lookup_only.accepted_tokens)


def test_a_model_of_another_vocabulary_is_refused_as_a_draft(
    fresh_runtime: Runtime, search_model: Path, bundled_model: Path
) -> None:
    _tokens, lookup_only = run(fresh_runtime, TURNS["free chat"], "always", max_tokens=32)
    fresh_runtime.attach_draft(bundled_model)  # the one it had is let go either way
    with pytest.raises(ModelError, match=r"cannot draft for .*: its tokenizer is of another kind"):
        fresh_runtime.attach_draft(search_model)
    assert fresh_runtime.loaded is not None and fresh_runtime.loaded.draft_model == ""
    _tokens, refused = run(fresh_runtime, TURNS["free chat"], "always", max_tokens=32)
    assert (refused.text, refused.drafted_tokens) == (lookup_only.text, lookup_only.drafted_tokens)


def test_the_engine_host_keeps_the_draft_model_when_it_loads_the_model_again(
    bundled_model: Path,
) -> None:
    host = HostRuntime()
    try:
        host.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=TEST_THREADS)
        assert host.attach_draft(bundled_model).draft_model == bundled_model.stem
        # A new context size reloads the model: its draft model comes back with it.
        loaded = host.load(bundled_model, RuntimeSettings(n_ctx=1024), n_threads=TEST_THREADS)
        assert loaded.draft_model == bundled_model.stem
        host.stop()  # as after a crash: the next use starts a host, loads both again
        assert host.recover() is not None
        assert host.loaded is not None and host.loaded.draft_model == bundled_model.stem
    finally:
        host.close()


def test_the_engine_host_says_a_refused_draft_model_is_gone(bundled_model: Path,
                                                            search_model: Path) -> None:
    host = HostRuntime()
    try:
        host.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=TEST_THREADS)
        host.attach_draft(bundled_model)
        with pytest.raises(ModelError, match="cannot draft for"):
            host.attach_draft(search_model)
        assert host.loaded is not None and host.loaded.draft_model == ""
        # Not chosen any more: a reload brings the model back alone.
        loaded = host.load(bundled_model, RuntimeSettings(n_ctx=1024), n_threads=TEST_THREADS)
        assert loaded.draft_model == ""
    finally:
        host.close()


# -- The switch ----------------------------------------------------------------------------------


# Batch costs measured for the bundled model on a 2-core Zen 3 (AVX2): cheap enough to draft.
CHEAP_COSTS = (1.0, 1.0, 1.45, 1.82, 2.2, 2.52, 2.85, 3.18, 3.5)


class ScriptedDrafter:
    """Stands in for a draft model in the switch's own tests: each proposal new tokens, none
    seen before (so the prompt lookup never proposes them)."""

    name = "scripted"

    def __init__(self, step_cost: float = 0.3) -> None:
        self.step_cost = step_cost
        self.asked = 0

    def propose(self, text: Sequence[int], limit: int, cancel: object = None) -> list[int]:
        self.asked += 1
        return [1000 + 10 * self.asked + i for i in range(limit)]


def drafting(drafter: ScriptedDrafter) -> Speculator:
    return Speculator("auto", PROMPT, CHEAP_COSTS, drafter)  # type: ignore[arg-type]


def test_a_draft_model_whose_drafts_are_refused_rests_then_tries_again() -> None:
    drafter = ScriptedDrafter()
    speculator = drafting(drafter)
    refused = 0
    while proposal := speculator.draft(DRAFT_MAX):  # as the token loop does:
        speculator.written(500 + refused)  # the model's own token, not the draft's,
        speculator.fed(len(proposal), 0)  # then the draft judged
        refused += 1
    assert 1 < refused <= DRAFTS_JUDGED
    speculator.written(599)
    asked = drafter.asked
    for token in range(REST_TOKENS - 1):
        assert speculator.draft(DRAFT_MAX) == []
        speculator.written(600 + token)
    assert drafter.asked == asked  # resting, it was not asked
    assert speculator.draft(DRAFT_MAX)  # and then it tries again


def test_a_cheap_draft_model_whose_drafts_are_kept_drafts_longer() -> None:
    speculator = drafting(ScriptedDrafter(step_cost=0.05))
    lengths = []
    for token in range(3 * DRAFTS_JUDGED):
        proposal = speculator.draft(DRAFT_MAX)
        lengths.append(len(proposal))
        for kept in proposal:
            speculator.written(kept)
        speculator.written(500 + token)
        speculator.fed(len(proposal), len(proposal))
    assert min(lengths) > 0 and lengths[-1] == DRAFT_MAX > lengths[0]


def test_prompt_lookup_drafts_first_where_it_pays() -> None:
    speculator = drafting(ScriptedDrafter())
    for token in PROMPT[:20]:  # the reply copies its prompt: the lookup's proposals are kept
        proposal = speculator.draft(DRAFT_MAX)
        if proposal and proposal[0] < 1000:
            break
        speculator.written(token)
    else:
        pytest.fail("the lookup never drafted")
    assert proposal == PROMPT[PROMPT.index(token):][: len(proposal)]  # what comes next

