"""The model a command runs on: `--model` (a name, a .gguf path or a `remote:` key), else the
app's default, opened as the local runtime or as a remote engine."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.chat.engine import ChatEngine
from engine.config import AppConfig
from engine.errors import HearthError
from engine.host.client import HostRuntime
from engine.models.files import resolve_model
from engine.paths import AppPaths
from engine.remote.engines import RemoteEngines
from engine.remote.keys import is_remote_key

MODEL_HELP = ("a model name, a path to a .gguf file, or a remote model as "
              "remote:<engine>/<model id> (see `hearth-cli remote models`)")
DRAFT_HELP = ("a smaller model with the same vocabulary (a name or a .gguf path) that drafts "
              "tokens for the model to check: speculative decoding, used where it pays")


def open_engine(model: str | None, config: AppConfig, paths: AppPaths,
                host: HostRuntime | None = None, draft: str | None = None) -> ChatEngine:
    """Raises HearthError with the reason when the model cannot be opened. A local model
    loads in `host` when given (one that already holds the search model), else in a new one;
    `draft` (a name or a path), else the one the settings pair with the model, drafts its
    replies (engine/host/drafting.py). A paired draft that cannot be used is said and left out:
    the model works without it."""
    key = model or config.default_model
    if key is not None and is_remote_key(key):
        if draft is not None:
            raise HearthError("A draft model drafts for a model on this computer only.")
        return RemoteEngines(paths).open_model(key)
    runtime = host or HostRuntime(paths.safe_configs_file)
    path = resolve_model(model, config.default_model, paths.models_dir)
    runtime.load(path, config.runtime, config.runtime.n_threads)
    if draft is not None:
        try:
            runtime.attach_draft(resolve_model(draft, None, paths.models_dir))
        except HearthError:
            runtime.close()
            raise
    elif (paired := config.draft_for(path)) is not None:
        try:
            runtime.attach_draft(resolve_model(str(paired), None, paths.models_dir))
        except HearthError as error:
            say_draft_left_out(path, error)
    return runtime


def say_draft_left_out(model: Path, error: HearthError) -> None:
    """A draft model the settings pair with `model` could not draft: the model runs without."""
    print(f"The draft model set for {model.name} is left out: {error}", file=sys.stderr)
