"""Response bodies and stream chunks, field for field as OpenAI sends them.

One field is Hearth's own: a reply the loop guard cut (the request asked for it) ends with
finish_reason "stop", as OpenAI's clients know it, and its choice says `"stopped_by":
"loop_guard"`.
"""

from __future__ import annotations

import base64
import struct
from typing import Any

from engine.api.jobs import ApiJob, Embedded, Finished, ModelCard

OWNER = "hearth"
LOOP_GUARD = {"stopped_by": "loop_guard"}


def model_object(card: ModelCard) -> dict[str, Any]:
    return {"id": card.id, "object": "model", "created": card.created, "owned_by": OWNER,
            "context_length": card.n_ctx}


def models_list(card: ModelCard | None) -> dict[str, Any]:
    return {"object": "list", "data": [model_object(card)] if card else []}


def usage(finished: Finished) -> dict[str, int]:
    return {"prompt_tokens": finished.prompt_tokens,
            "completion_tokens": finished.completion_tokens,
            "total_tokens": finished.prompt_tokens + finished.completion_tokens}


def chat_completion(job: ApiJob, model: str, text: str, finished: Finished,
                    reasoning: str = "") -> dict[str, Any]:
    """The whole answer; the model's thinking, if any, as `reasoning_content` beside it (the
    field DeepSeek's API and vLLM use)."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if reasoning:
        message["reasoning_content"] = reasoning
    return {
        "id": f"chatcmpl-{job.id}",
        "object": "chat.completion",
        "created": job.created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": None,
            **_finish(finished.finish_reason),
        }],
        "usage": usage(finished),
        "system_fingerprint": None,
    }


def text_completion(job: ApiJob, model: str, text: str, finished: Finished) -> dict[str, Any]:
    return {
        "id": f"cmpl-{job.id}",
        "object": "text_completion",
        "created": job.created,
        "model": model,
        "choices": [{"index": 0, "text": text, "logprobs": None,
                     **_finish(finished.finish_reason)}],
        "usage": usage(finished),
        "system_fingerprint": None,
    }


def chat_chunk(job: ApiJob, model: str, delta: dict[str, str], finish_reason: str | None,
               with_usage: bool) -> dict[str, Any]:
    return _chunk(f"chatcmpl-{job.id}", "chat.completion.chunk", job, model, {"delta": delta},
                  finish_reason, with_usage)


def text_chunk(job: ApiJob, model: str, text: str, finish_reason: str | None,
               with_usage: bool) -> dict[str, Any]:
    return _chunk(f"cmpl-{job.id}", "text_completion", job, model, {"text": text},
                  finish_reason, with_usage)


def _chunk(chunk_id: str, kind: str, job: ApiJob, model: str, content: dict[str, Any],
           finish_reason: str | None, with_usage: bool) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": chunk_id,
        "object": kind,
        "created": job.created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, **content, "logprobs": None, **_finish(finish_reason)}],
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
