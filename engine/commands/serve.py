"""`hearth-cli serve`: the loaded model over the OpenAI-compatible API until Ctrl+C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from engine.api.access import is_loopback
from engine.api.local import LocalServer
from engine.commands.engine_choice import DRAFT_HELP, say_draft_left_out
from engine.config import API_DEFAULT_HOST, load_config
from engine.errors import HearthError
from engine.models.files import resolve_model
from engine.paths import app_paths

NETWORK_WARNING = (
    "Warning: {host} can be reached from other computers. Anyone there who has the token can "
    "use this model; the traffic is not encrypted."
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve", help="serve a model over an OpenAI-compatible API on this computer"
    )
    serve.add_argument("--model", help="a model name or a path to a .gguf file "
                       "(default: the app's default model)")
    serve.add_argument("--host", default=API_DEFAULT_HOST,
                       help=f"the address to listen on (default: {API_DEFAULT_HOST})")
    serve.add_argument("--port", type=int, help="the port (default: the app's, 8484; "
                       "0 picks a free one)")
    serve.add_argument("--draft-model", help=DRAFT_HELP)
    serve.add_argument("--allow-network", action="store_true",
                       help="allow an address other computers can reach")
    serve.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not is_loopback(args.host) and not args.allow_network:
        raise HearthError(f"{args.host} can be reached from other computers; add "
                          "--allow-network to serve there.")
    paths = app_paths()
    config = load_config(paths.settings_file).config
    port = config.api.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise HearthError(f"--port must be between 0 and 65535, not {port}.")
    model = resolve_model(args.model, config.default_model, paths.models_dir)
    if not is_loopback(args.host):
        print(NETWORK_WARNING.format(host=args.host), file=sys.stderr)
    print(f"Loading {model.name}…", file=sys.stderr, flush=True)
    server = LocalServer(
        model, runtime=config.runtime, n_threads=config.runtime.n_threads, host=args.host,
        port=port, token=config.api.token, allow_network=args.allow_network,
        defaults=config.chat_defaults.sampling,
        draft=config.draft_for(model) if args.draft_model is None
        else resolve_model(args.draft_model, None, paths.models_dir),
        draft_optional=args.draft_model is None,
    )
    if server.draft_problem is not None:
        say_draft_left_out(model, server.draft_problem)
    # Ctrl+C and a service manager's stop only raise a flag: an exception raised inside
    # Thread.join (as KeyboardInterrupt is) can leave the engine thread marked as ended.
    stopping = threading.Event()
    previous = {number: signal.signal(number, lambda _number, _frame: stopping.set())
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        name = server.loaded.name if server.loaded else model.stem
        print(f"Serving {name} at {server.url}", flush=True)
        print(f"Token: {server.token}", flush=True)
        print("Press Ctrl+C to stop.", file=sys.stderr, flush=True)
        while not stopping.is_set() and not server.wait(0.5):
            pass
        if stopping.is_set():
            print("Stopping…", file=sys.stderr, flush=True)
    finally:
        server.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0
