"""What the app asks of a local model: `Runtime` in this process, `HostRuntime` in the host.

Chats, documents and the API need only `ChatEngine` (engine/chat/engine.py), which remote
models have too; what needs llama.cpp itself (logits, KV states, embeddings, threads) takes a
`LocalRuntime`. The app uses `HostRuntime`; the host, the benchmark and tests of the token loop
itself use `Runtime` directly.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from engine.chat.context import ContextPlan
from engine.chat.prompt import ChatMessage
from engine.host.backend import BackendInfo
from engine.host.batch import CancelFlag
from engine.host.runtime import (
    GenerationRequest,
    KvState,
    LoadedModel,
    StreamEvent,
)
from engine.settings import RuntimeSettings, SamplingSettings


@runtime_checkable
class LocalRuntime(Protocol):
    @property
    def loaded(self) -> LoadedModel | None: ...

    def load(self, path: Path, settings: RuntimeSettings, n_threads: int | None) -> LoadedModel:
        ...

    def close(self) -> None: ...

    def backend(self) -> BackendInfo: ...

    def set_threads(self, threads: int) -> None: ...

    def set_batch_threads(self, threads: int) -> None: ...

    def tokenize(self, text: str, add_bos: bool, special: bool) -> list[int]: ...

    def tokenize_chat(self, messages: Sequence[ChatMessage]) -> list[int]: ...

    def count_tokens(self, text: str) -> int: ...

    def detokenize(self, tokens: Sequence[int]) -> str: ...

    def plan(self, request: GenerationRequest) -> ContextPlan: ...

    def cached_prefix(self, tokens: list[int]) -> int: ...

    def stream(
        self, request: GenerationRequest, cancel: CancelFlag
    ) -> Generator[StreamEvent, None, None]: ...

    def stream_parallel(
        self, requests: Sequence[GenerationRequest], cancel: CancelFlag
    ) -> Generator[StreamEvent, None, None]: ...

    def stream_text(
        self, prompt: str, sampling: SamplingSettings, cancel: CancelFlag,
        stop: Sequence[str] = (), ignore_eog: bool = False, grammar: str = "",
        logprobs: int | None = None, choices: int = 1,
    ) -> Generator[StreamEvent, None, None]: ...

    def save_state(self) -> KvState | None: ...

    def load_state(self, state: KvState) -> bool: ...

    def forget_cache(self) -> None: ...

    def score_continuations(
        self, prompt: Sequence[int], continuations: Sequence[Sequence[int]], reusable: int
    ) -> tuple[list[list[float]], int]: ...

    def embedding_context(self) -> int: ...

    def count_embedding_tokens(self, text: str) -> int: ...

    def embed(self, text: str) -> tuple[tuple[float, ...], int]: ...

    def close_embedder(self) -> None: ...


@runtime_checkable
class ParksReplies(Protocol):
    """A runtime that can put its streaming reply aside for another (`HostRuntime`): the
    scheduler pauses an API reply so a chat turn goes first; and add a request to its parallel
    reply as it streams (continuous batching)."""

    def park_stream(self) -> int | None: ...

    def resume_stream(self, parked: int) -> None: ...

    def join_stream(self, request: GenerationRequest) -> int | None: ...
