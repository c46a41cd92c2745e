"""`hearth-cli chat`: answer one message, streaming to stdout."""

from __future__ import annotations

import argparse
import sys
import threading

from engine.config import load_config
from engine.models import resolve_model
from engine.paths import app_paths
from engine.prompt import ChatMessage
from engine.runtime import GenerationDone, GenerationRequest, Runtime, TextChunk


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = commands.add_parser("chat", help="answer one message, streaming to stdout")
    chat.add_argument("message", help="the message to answer")
    chat.add_argument("--model", help="a model name or a path to a .gguf file")
    chat.add_argument("--system", help="a system prompt (default: the app's)")
    chat.add_argument("--seed", type=int, help="a fixed seed for a reproducible reply")
    chat.add_argument("--max-tokens", type=int, help="the longest reply, in tokens")
    chat.add_argument("--temperature", type=float, help="sampling temperature")
    chat.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = app_paths()
    config = load_config(paths.settings_file).config
    settings = config.chat_defaults
    overrides: dict[str, object] = {}
    for name in ("seed", "max_tokens", "temperature"):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    if args.system is not None:
        settings = settings.with_overrides({"system_prompt": args.system})
    if overrides:
        settings = settings.with_overrides({"sampling": overrides})
    model = resolve_model(args.model, config.default_model, paths.models_dir)
    runtime = Runtime()
    try:
        runtime.load(model, config.runtime, config.effective_threads())
        request = GenerationRequest(
            messages=(ChatMessage("user", args.message),), settings=settings
        )
        for event in runtime.stream(request, threading.Event()):
            if isinstance(event, TextChunk):
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, GenerationDone):
                sys.stdout.write("\n")
                if args.verbose:
                    print(
                        f"[{event.generated_tokens} tokens, {event.tokens_per_second:.1f} tok/s, "
                        f"seed {event.seed}]",
                        file=sys.stderr,
                    )
    finally:
        runtime.close()
    return 0
