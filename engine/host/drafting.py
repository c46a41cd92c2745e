"""Draft-model proposals for speculative decoding: a small model with the loaded model's
vocabulary (Qwen2.5-Coder-0.5B for 1.5B) writes a few tokens ahead, greedily, and the loaded
model checks them in one batch. runtime.py keeps only the loaded model's own choices, so the
text is the loaded model's; a draft only saves its decode steps.

A draft token is not free as a prompt-lookup one is: each costs a decode of the draft model,
measured at attach as a share of one of the loaded model's (`step_cost`). So the draft model
stops at a token it doubts (its probability below P_MIN, as llama.cpp's speculative examples
do with p_min), which would likely be refused and would cost twice: its own decode and a wider
batch of the loaded model. Whether drafting pays at all is speculation.py's call.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path

import llama_cpp
import numpy as np

from engine.errors import ModelError
from engine.host.batch import NULL_ABORT, CancelFlag, recorded_prefix
from engine.text import Text

P_MIN = 0.75  # the draft's own probability below which it stops drafting
VOCAB_SIZE_SLACK = 128  # token counts may differ by padding (llama.cpp allows 128)
FIRST_CHECKED_TOKEN = 5  # the control tokens below may differ (as in llama.cpp's check)


class DraftModel:
    """A loaded draft model and what its KV cache holds (one sequence)."""

    def __init__(self, llm: llama_cpp.Llama, step_cost: float, vocab_size: int) -> None:
        self._llm = llm
        self.step_cost = step_cost  # one of its decodes, in decodes of the loaded model
        self.name = Path(llm.model_path).stem
        self._vocab_size = vocab_size  # the loaded model's: a token past it is never drafted
        self._cancel: CancelFlag | None = None
        self._abort = llama_cpp.ggml_abort_callback(
            lambda _data: self._cancel is not None and self._cancel.is_set())

    def propose(self, text: Sequence[int], limit: int,
                cancel: CancelFlag | None = None) -> list[int]:
        """Up to `limit` tokens the draft model expects after `text`, each at least P_MIN
        likely to it. Its cache keeps the part of `text` it already holds: the prompt is read
        once (Stop ends that read), and after a check only the tokens kept since are read.
        Raises ModelError if llama.cpp fails or the read is stopped."""
        llm = self._llm
        # The last token is read again for its logits.
        llm.n_tokens = min(recorded_prefix(llm, text), len(text) - 1)
        self._cancel = cancel  # the abort callback runs after every graph node: prompts only
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort, None)
        try:
            self._decode(text[llm.n_tokens :])
        finally:
            llama_cpp.llama_set_abort_callback(llm.ctx, NULL_ABORT, None)
            self._cancel = None
        drafts: list[int] = []
        while len(drafts) < limit:
            logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
            best = int(np.argmax(logits))
            probability = 1.0 / float(np.exp(logits - logits[best]).sum())
            if probability < P_MIN or best >= self._vocab_size:
                break
            drafts.append(best)
            if len(drafts) < limit:
                self._decode([best])
        return drafts

    def close(self) -> None:
        self._llm.close()

    def _decode(self, tokens: Sequence[int]) -> None:
        try:
            self._llm.eval(tokens)  # drops what its cache held past n_tokens first
        except RuntimeError as error:
            raise ModelError(Text("The draft model failed: {error}", error=error)) from None


def vocabulary_problem(target: llama_cpp.Llama, draft: llama_cpp.Llama) -> str | None:
    """Why `draft` cannot draft for `target` (their tokens differ), or None."""
    if target._model.vocab_type() != draft._model.vocab_type():
        return "its tokenizer is of another kind"
    if (target.token_bos(), target.token_eos()) != (draft.token_bos(), draft.token_eos()):
        return "its start and end tokens differ"
    sizes = target.n_vocab(), draft.n_vocab()
    if abs(sizes[0] - sizes[1]) > VOCAB_SIZE_SLACK:
        return f"its vocabulary has {sizes[1]:,} tokens, against {sizes[0]:,}"
    for token in range(FIRST_CHECKED_TOKEN, min(sizes)):
        if target._model.token_get_text(token) != draft._model.token_get_text(token):
            return f"its token {token} differs"
    return None


def single_step_seconds(llm: llama_cpp.Llama, repeats: int = 3) -> float:
    """The fastest of a few one-token decodes, on a scratch position that is dropped after."""
    token = max(llm.token_bos(), 0)
    fastest = float("inf")
    kept = llm.n_tokens
    for _ in range(repeats + 1):  # the first warms up
        started = time.perf_counter()
        with contextlib.suppress(RuntimeError):
            llm.eval([token])
        fastest = min(fastest, time.perf_counter() - started)
        llm.n_tokens = kept
    llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llm.ctx), -1, kept, -1)
    return fastest
