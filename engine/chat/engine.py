"""What chats, documents and the Prompt Lab need of a model: the local `Runtime` or a remote
engine, used the same way.

Both stream replies as the runtime's events, plan a chat into the context window, count tokens,
say what is loaded and close. Only the local runtime can score log-probabilities or keep KV
caches per chat; code that needs those checks for a `LocalRuntime` (engine/host/local.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Protocol

from engine.chat.context import ContextPlan
from engine.chat.prompt import ChatMessage
from engine.host.runtime import GenerationRequest, LoadedModel, StreamEvent
from engine.remote.engine import RemoteModel


class EngineModel(Protocol):
    """The loaded model as chats see it: a name to show and the context window, in tokens."""

    @property
    def name(self) -> str: ...

    @property
    def n_ctx(self) -> int: ...


class ChatEngine(Protocol):
    @property
    def loaded(self) -> EngineModel | None: ...

    def stream(self, request: GenerationRequest,
               cancel: threading.Event) -> Iterator[StreamEvent]: ...

    def plan(self, request: GenerationRequest) -> ContextPlan: ...

    def tokenize_chat(self, messages: Sequence[ChatMessage]) -> list[int]: ...

    def count_tokens(self, text: str) -> int: ...

    def close(self) -> None: ...


def model_key(model: EngineModel) -> str:
    """How a model is named in settings, chats and `--model`: a local file's path, or
    `remote:<endpoint>/<model id>` (engine/remote/keys.py)."""
    if isinstance(model, RemoteModel):
        return model.key
    if isinstance(model, LoadedModel):
        return str(model.path)
    raise TypeError(f"not a model Hearth knows: {model!r}")


def chat_template(model: EngineModel | None) -> str | None:
    """The Jinja a local model's prompts are rendered with; None for a remote model, whose
    server renders its own."""
    return model.template.source if isinstance(model, LoadedModel) else None


def continues_text(model: EngineModel | None) -> bool:
    """A local base model read in continuation mode: it follows no instruction."""
    return isinstance(model, LoadedModel) and model.template.continuation
