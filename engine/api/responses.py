"""Response bodies and stream chunks, field for field as OpenAI sends them.

One field is Hearth's own: a reply the loop guard cut (the request asked for it) ends with
finish_reason "stop", as OpenAI's clients know it, and its choice says `"stopped_by":
"loop_guard"`.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.api.jobs import ApiJob, Embedded, Finished, ModelCard, Piece
from engine.chat.prompt import ToolCall
from engine.host.logprobs import TokenLogprob

OWNER = "hearth"
LOOP_GUARD = {"stopped_by": "loop_guard"}
LOGPROB_FLOOR = -9999.0  # OpenAI's stand-in for a token the model rules out (JSON has no -inf)


@dataclass
class ChoiceOutput:
    """What one choice wrote, gathered from its pieces for a whole (not streamed) answer."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    logprobs: list[TokenLogprob] | None = None  # None: not asked for

    def add(self, piece: Piece) -> None:
        (self.reasoning if piece.reasoning else self.text).append(piece.text)
        if self.logprobs is not None:
            self.logprobs.extend(piece.logprobs)


def model_object(card: ModelCard) -> dict[str, Any]:
    return {"id": card.id, "object": "model", "created": card.created, "owned_by": OWNER,
            "context_length": card.n_ctx}


def models_list(card: ModelCard | None) -> dict[str, Any]:
    return {"object": "list", "data": [model_object(card)] if card else []}


def usage(finished: Finished) -> dict[str, int]:
    return {"prompt_tokens": finished.prompt_tokens,
            "completion_tokens": finished.completion_tokens,
            "total_tokens": finished.prompt_tokens + finished.completion_tokens}


def _token_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _logprob(value: float) -> float:
    return max(value, LOGPROB_FLOOR)


def chat_logprobs(tokens: list[TokenLogprob] | None) -> dict[str, Any] | None:
    """A chat choice's `logprobs`: one entry per token, with its top alternatives."""
    if tokens is None:
        return None
    return {"content": [{
        "token": _token_text(entry.token),
        "logprob": _logprob(entry.logprob),
        "bytes": list(entry.token),
        "top_logprobs": [{"token": _token_text(data), "logprob": _logprob(value),
                          "bytes": list(data)} for data, value in entry.top],
    } for entry in tokens], "refusal": None}


def completion_logprobs(tokens: list[TokenLogprob] | None,
                        offset: int = 0) -> dict[str, Any] | None:
    """A completion choice's `logprobs` (the legacy shape); `offset`: where the first token's
    text starts in the whole completion."""
    if tokens is None:
        return None
    offsets = []
    for entry in tokens:
        offsets.append(offset)
        offset += len(_token_text(entry.token))
    return {
        "tokens": [_token_text(entry.token) for entry in tokens],
        "token_logprobs": [_logprob(entry.logprob) for entry in tokens],
        "top_logprobs": [{_token_text(data): _logprob(value) for data, value in entry.top}
                         for entry in tokens],
        "text_offset": offsets,
    }


def chat_completion(job: ApiJob, model: str, outputs: Sequence[ChoiceOutput],
                    finished: Finished) -> dict[str, Any]:
    """The whole answer, a choice for each of `outputs`; the model's thinking, if any, as
    `reasoning_content` beside it (the field DeepSeek's API and vLLM use)."""
    return {
        "id": f"chatcmpl-{job.id}",
        "object": "chat.completion",
        "created": job.created,
        "model": model,
        "choices": [{
            "index": index,
            "message": _message(output, finished.tool_calls if index == 0 else ()),
            "logprobs": chat_logprobs(output.logprobs),
            **_finish(reason),
        } for index, (output, reason) in enumerate(zip(outputs, finished.finish_reasons,
                                                       strict=True))],
        "usage": usage(finished),
        "system_fingerprint": None,
    }


def _message(output: ChoiceOutput, calls: Sequence[ToolCall]) -> dict[str, Any]:
    text = "".join(output.text)
    message: dict[str, Any] = {"role": "assistant", "content": text or (None if calls else ""),
                               "refusal": None}
    if output.reasoning:
        message["reasoning_content"] = "".join(output.reasoning)
    if calls:
        message["tool_calls"] = tool_calls(calls)
    return message


def tool_calls(calls: Sequence[ToolCall], streamed: bool = False) -> list[dict[str, Any]]:
    """OpenAI's `tool_calls`; streamed, each with its index (here whole, in one chunk)."""
    return [{**({"index": index} if streamed else {}), "id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": call.arguments}}
            for index, call in enumerate(calls)]


def text_completion(job: ApiJob, model: str, outputs: Sequence[ChoiceOutput],
                    finished: Finished) -> dict[str, Any]:
    return {
        "id": f"cmpl-{job.id}",
        "object": "text_completion",
        "created": job.created,
        "model": model,
        "choices": [{"index": index, "text": "".join(output.text),
                     "logprobs": completion_logprobs(output.logprobs), **_finish(reason)}
                    for index, (output, reason) in enumerate(zip(outputs,
                                                                 finished.finish_reasons,
                                                                 strict=True))],
        "usage": usage(finished),
        "system_fingerprint": None,
    }


def chat_chunk(job: ApiJob, model: str, delta: dict[str, Any], finish_reason: str | None,
               with_usage: bool, logprobs: dict[str, Any] | None = None,
               choice: int = 0) -> dict[str, Any]:
    return _chunk(f"chatcmpl-{job.id}", "chat.completion.chunk", job, model, {"delta": delta},
                  finish_reason, with_usage, logprobs, choice)


def text_chunk(job: ApiJob, model: str, text: str, finish_reason: str | None,
               with_usage: bool, logprobs: dict[str, Any] | None = None,
               choice: int = 0) -> dict[str, Any]:
    return _chunk(f"cmpl-{job.id}", "text_completion", job, model, {"text": text},
                  finish_reason, with_usage, logprobs, choice)


def _chunk(chunk_id: str, kind: str, job: ApiJob, model: str, content: dict[str, Any],
           finish_reason: str | None, with_usage: bool,
           logprobs: dict[str, Any] | None, choice: int) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": chunk_id,
        "object": kind,
        "created": job.created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": choice, **content, "logprobs": logprobs,
                     **_finish(finish_reason)}],
    }
    if with_usage:
        chunk["usage"] = None  # only the last chunk carries usage, as OpenAI does
    return chunk


def usage_chunk(job: ApiJob, model: str, finished: Finished, chat: bool) -> dict[str, Any]:
    return {
        "id": f"{'chatcmpl' if chat else 'cmpl'}-{job.id}",
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": job.created,
        "model": model,
        "system_fingerprint": None,
        "choices": [],
        "usage": usage(finished),
    }


def _finish(reason: str | None) -> dict[str, Any]:
    if reason == "repetition":
        return {"finish_reason": "stop", **LOOP_GUARD}
    return {"finish_reason": reason}


def embeddings(model: str, embedded: Embedded, as_base64: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index,
             "embedding": _base64(vector) if as_base64 else list(vector)}
            for index, vector in enumerate(embedded.vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": embedded.prompt_tokens,
                  "total_tokens": embedded.prompt_tokens},
    }


def _base64(vector: tuple[float, ...]) -> str:
    """Little-endian float32s, base64-encoded: what OpenAI's clients ask for by default."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
