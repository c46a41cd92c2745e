"""`hearth-cli chat`: answer one message, streaming to stdout."""

from __future__ import annotations

import argparse
import sys
import threading

from engine.chat.engine import chat_template
from engine.chat.prompt import ChatMessage
from engine.chat.reasoning import ReasoningPart, ReasoningSplitter, reasoning_style, think_flag
from engine.chat.repetition import finish_note
from engine.chat.templates import continuation_note
from engine.commands.engine_choice import DRAFT_HELP, MODEL_HELP, open_engine
from engine.config import load_config
from engine.errors import RemoteReplyCutError
from engine.host.runtime import GenerationDone, GenerationRequest, LoadedModel, TextChunk
from engine.paths import app_paths


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = commands.add_parser("chat", help="answer one message, streaming to stdout")
    chat.add_argument("message", help="the message to answer")
    chat.add_argument("--model", help=MODEL_HELP)
    chat.add_argument("--draft-model", help=DRAFT_HELP)
    chat.add_argument("--system", help="a system prompt (default: the app's)")
    chat.add_argument("--seed", type=int, help="a fixed seed for a reproducible reply")
    chat.add_argument("--max-tokens", type=int, help="the longest reply, in tokens")
    chat.add_argument("--temperature", type=float, help="sampling temperature")
    chat.add_argument("--think", action=argparse.BooleanOptionalAction, default=None,
                      help="for models with a thinking switch (Qwen3): think before answering "
                      "or not (default: the app's setting); the thinking goes to stderr")
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
    if args.think is not None:
        settings = settings.with_overrides({"thinking": args.think})
    engine = open_engine(args.model, config, paths, draft=args.draft_model)
    loaded = engine.loaded
    if isinstance(loaded, LoadedModel) and loaded.template.continuation:
        how = f"`hearth-cli models template {loaded.name} NAME`"
        print(f"[{continuation_note(loaded.name, loaded.template, how)}]", file=sys.stderr)
    template = chat_template(loaded)
    think = think_flag(template, settings.thinking)
    splitter = ReasoningSplitter(reasoning_style(template, think))
    try:
        request = GenerationRequest(
            messages=(ChatMessage("user", args.message, think=think),), settings=settings
        )
        for event in engine.stream(request, threading.Event()):
            if isinstance(event, TextChunk):
                _write(splitter.feed(event.text))
            elif isinstance(event, GenerationDone):
                _write(splitter.finish())
                if splitter.reasoning:
                    sys.stderr.write("\n")
                sys.stdout.write("\n")
                note = finish_note(event.finish_reason)
                if note:
                    print(f"[{note}]", file=sys.stderr)
                if args.verbose:
                    drafts = "" if event.acceptance is None else (
                        f", {event.accepted_tokens} of {event.drafted_tokens} drafts kept")
                    print(
                        f"[{event.generated_tokens} tokens, {event.tokens_per_second:.1f} tok/s, "
                        f"seed {event.seed}{drafts}]",
                        file=sys.stderr,
                    )
    except RemoteReplyCutError:
        sys.stdout.write("\n")  # the text that arrived stays on its own lines; then why
        raise
    finally:
        engine.close()
    return 0


def _write(parts: list[ReasoningPart]) -> None:
    """The answer to stdout; the thinking before it to stderr, so a pipe gets the answer."""
    for part in parts:
        if part.kind == "reasoning":
            sys.stderr.write(part.text)
            sys.stderr.flush()
        else:
            sys.stdout.write(part.text)
            sys.stdout.flush()
