"""Teacher-forced log-probabilities of continuations on a loaded `Llama`, one pass per prompt.

The prompt is compared with the tokens already in llama.cpp's KV cache and only the part that
differs is decoded, so examples that share a prompt prefix (instruction and demos) pay only for
their own tokens. Logits are requested only at the positions that predict a continuation token,
never for the whole sequence (`logits_all`), and never through `echo=True` with `logprobs`,
which is off by one in llama-cpp-python 0.3.36. This runs where the model lives (the engine
host); the Prompt Lab's `Scorer` sends it whole prompts and gets the numbers back.
"""

from __future__ import annotations

from collections.abc import Sequence

import llama_cpp
import numpy as np
import numpy.typing as npt

from engine.errors import ModelError, PromptLabError
from engine.text import Text

LogProbs = npt.NDArray[np.float32]


def continuation_logprobs(
    llm: llama_cpp.Llama,
    cached: int,
    prompt: Sequence[int],
    continuations: Sequence[Sequence[int]],
    reusable: int,
) -> tuple[list[list[float]], int]:
    """Log-probability of each token of each continuation, and the tokens decoded for them.

    At most the first `reusable` prompt tokens (the shared prefix) of the `cached` ones come from
    the cache; the rest is decoded in one batch every time. llama.cpp's numbers for a token
    depend on whether it was decoded alone or in a batch, so this keeps a score independent of
    what happened to be cached before. The rest of the prompt and the first continuation go
    through the model in one pass; every further continuation costs only its own tokens but
    the last.
    """
    if not prompt or not continuations or any(not tokens for tokens in continuations):
        raise PromptLabError(Text("Nothing to score: the prompt or an answer is empty."))
    longest = max(len(tokens) for tokens in continuations)
    if len(prompt) + longest > llm.n_ctx():
        raise PromptLabError(
            Text("A prompt of {prompt:,} tokens does not fit the context window of {context:,}: "
                 "use fewer or shorter examples, or a longer context.",
                 prompt=len(prompt), context=llm.n_ctx())
        )
    end = len(prompt)
    keep = min(cached, reusable, end - 1)
    first = list(continuations[0])
    decoded = 0
    rows, count = _decode(llm, list(prompt[keep:]) + first[:-1], keep, end - 1)
    decoded += count
    first_row = rows[0]
    results = [_pick(rows, first)]
    for tokens in continuations[1:]:
        if len(tokens) == 1:
            results.append([float(first_row[tokens[0]])])
            continue
        more, count = _decode(llm, list(tokens[:-1]), end, end)
        decoded += count
        results.append(_pick([first_row, *more], list(tokens)))
    return results, decoded


def _decode(
    llm: llama_cpp.Llama, tokens: list[int], start: int, logits_from: int
) -> tuple[list[LogProbs], int]:
    """Decodes `tokens` at positions from `start`; log-softmax rows from `logits_from` on."""
    ctx = llm._ctx
    if not ctx.kv_cache_seq_rm(-1, start, -1):
        raise ModelError(Text("This model's cache cannot drop a suffix, which scoring needs."))
    llm.n_tokens = start
    n_vocab = llm.n_vocab()
    batch = llm._batch.batch
    rows: list[LogProbs] = []
    for offset in range(0, len(tokens), llm.n_batch):
        chunk = tokens[offset : offset + llm.n_batch]
        wanted: list[int] = []
        batch.n_tokens = len(chunk)
        for index, token in enumerate(chunk):
            position = start + offset + index
            batch.token[index] = token
            batch.pos[index] = position
            batch.seq_id[index][0] = 0
            batch.n_seq_id[index] = 1
            batch.logits[index] = position >= logits_from
            if position >= logits_from:
                wanted.append(index)
        try:
            ctx.decode(llm._batch)
        except RuntimeError as error:
            llm.reset()
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            raise ModelError(Text("llama.cpp failed while scoring: {error}", error=error)) from None
        for index in wanted:
            logits = np.ctypeslib.as_array(
                llama_cpp.llama_get_logits_ith(ctx.ctx, index), shape=(n_vocab,)
            )
            rows.append(_log_softmax(logits))
        llm.input_ids[llm.n_tokens : llm.n_tokens + len(chunk)] = chunk
        llm.n_tokens += len(chunk)
    # The last logits llama.cpp holds may not be the cached sequence's own: make
    # generate() decode its last token again before it samples.
    llm._requires_eval = True
    return rows, len(tokens)


def _log_softmax(logits: npt.NDArray[np.float32]) -> LogProbs:
    values = logits.astype(np.float64)
    top = values.max()
    shifted = values - top
    result: LogProbs = (shifted - np.log(np.exp(shifted).sum())).astype(np.float32)
    return result


def _pick(rows: Sequence[LogProbs], tokens: list[int]) -> list[float]:
    return [float(row[token]) for row, token in zip(rows, tokens, strict=True)]
