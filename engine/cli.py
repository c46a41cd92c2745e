"""`hearth-cli`: Hearth's engine from a terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from engine import network_guard
from engine.commands import ask, chat, collections, models, remote, serve, summarize, tune
from engine.errors import HearthError

# Each subcommand module adds its parser and sets `handler`; add new ones here.
SUBCOMMANDS = (ask, chat, collections, models, remote, serve, summarize, tune)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth-cli", description="Hearth from the terminal.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log llama.cpp to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    network_guard.install_from_environment()
    args = _parser().parse_args(argv)
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
