"""`make test-models`: Qwen2.5-Coder-0.5B drafts for 1.5B (engine/host/drafting.py), the pair
llama.cpp's speculative examples use: the vocabulary check lets it draft, most drafts are kept
on a code edit, and the text is the 1.5B model's own (plain decoding's, or where they part, a
near tie that batch shapes alone can flip, as in tests/engine/test_speculation.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.host.runtime import Runtime
from engine.settings import RuntimeSettings
from tests.compatibility.models import MODELS, model_file
from tests.engine.test_speculation import TURNS, assert_the_models_own_text, run

TARGET, DRAFT = (next(m for m in MODELS if m.name.startswith(f"qwen2.5-coder-{size}-"))
                 for size in ("1.5b", "0.5b"))


@pytest.fixture(scope="module")
def qwen() -> Iterator[Runtime]:
    runtime = Runtime()
    runtime.load(model_file(TARGET), RuntimeSettings(n_ctx=2048), None)
    yield runtime
    runtime.close()


@pytest.mark.parametrize("turn", ["code edit", "free chat"])
def test_the_small_qwen_drafts_for_the_large_one_and_leaves_its_text(qwen: Runtime,
                                                                     turn: str) -> None:
    plain = run(qwen, TURNS[turn], "off", max_tokens=64)
    loaded = qwen.attach_draft(model_file(DRAFT))
    assert loaded.draft_model == model_file(DRAFT).stem
    try:
        drafted = run(qwen, TURNS[turn], "always", max_tokens=64)
    finally:
        qwen.attach_draft(None)
    done = drafted[1]
    assert done.drafted_tokens > 0
    if turn == "code edit":  # it copies the code: the small model guesses it right
        assert done.accepted_tokens >= 0.5 * done.drafted_tokens
    assert_the_models_own_text(qwen, TURNS[turn], plain, drafted)
