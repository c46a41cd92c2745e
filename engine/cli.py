"""`hearth-cli`: Hearth's engine from a terminal."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from engine import network_guard
from engine.errors import HearthError

# Each names a module of engine/commands that adds its parser and sets `handler`; add new ones
# here. Only the command asked for is imported: all of them together bring llama.cpp, the Hub
# client and the HTTP stack, which doubled the start-up of `hearth-cli remote list` (0.9 s).
SUBCOMMANDS = ("ask", "chat", "collections", "models", "remote", "serve", "summarize", "tune")


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth-cli", description="Hearth from the terminal.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log llama.cpp to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    # The top level takes no option with a value, so the first word is the command; without
    # a known one (`--help`, a typo) every command is listed.
    asked = next((word for word in argv if not word.startswith("-")), None)
    for name in (asked,) if asked in SUBCOMMANDS else SUBCOMMANDS:
        importlib.import_module(f"engine.commands.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    network_guard.install_from_environment()
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.CRITICAL,
        format="%(name)s: %(message)s",
    )
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except HearthError as error:
        print(f"hearth-cli: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
