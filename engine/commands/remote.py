"""`hearth-cli remote`: add, list and remove remote engines, list their models, and the network
switch. Chat with a remote model with `hearth-cli chat --model remote:<engine>/<model id>`."""

from __future__ import annotations

import argparse
import getpass
import sys

from engine.errors import HearthError, RemoteError
from engine.paths import app_paths
from engine.remote.client import RemoteModelListing
from engine.remote.engines import RemoteEngines
from engine.remote.keys import model_key_for
from engine.remote.settings import api_key_store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remote = commands.add_parser(
        "remote", help="OpenAI-compatible servers (llama.cpp, vLLM, Ollama, Hearth) as engines")
    actions = remote.add_subparsers(dest="remote_command", required=True)
    add = actions.add_parser("add", help="add a server and list its models")
    add.add_argument("name", help="a short name: letters, digits, dots, dashes, underscores")
    add.add_argument("url", help="the API's address, e.g. http://192.168.1.5:8080/v1")
    key = add.add_mutually_exclusive_group()
    key.add_argument("--ask-key", action="store_true", help="ask for an API key (not echoed)")
    key.add_argument("--key-stdin", action="store_true", help="read the API key from stdin")
    add.add_argument("--context", type=int, metavar="TOKENS",
                     help="the context length, when the server does not say")
    add.set_defaults(handler=run_add)
    actions.add_parser("list", help="show the servers added").set_defaults(handler=run_list)
    remove = actions.add_parser("remove", help="forget a server and its key")
    remove.add_argument("name")
    remove.set_defaults(handler=run_remove)
    models = actions.add_parser("models", help="list a server's models")
    models.add_argument("name")
    models.set_defaults(handler=run_models)
    for verb, enabled in (("enable", True), ("disable", False)):
        toggle = actions.add_parser(verb, help=f"{verb} one server")
        toggle.add_argument("name")
        toggle.set_defaults(handler=run_toggle, enabled=enabled)
    network = actions.add_parser(
        "network", help="show, or turn on or off, the switch for every remote engine")
    network.add_argument("state", nargs="?", choices=("on", "off"))
    network.set_defaults(handler=run_network)


def run_add(args: argparse.Namespace) -> int:
    key: str | None = None
    if args.ask_key:
        key = getpass.getpass(f"API key for {args.name}: ")
    elif args.key_stdin:
        key = sys.stdin.readline().strip()
    engines = RemoteEngines(app_paths())
    endpoint = engines.add(args.name, args.url, key, args.context)
    print(f"Added {endpoint.name} ({endpoint.api_url}).")
    try:
        listing = engines.list_models(endpoint.name)
    except RemoteError as error:
        print(f"It could not be reached yet: {error}", file=sys.stderr)
        return 0
    _print_models(endpoint.name, listing)
    return 0


def run_list(_args: argparse.Namespace) -> int:
    engines = RemoteEngines(app_paths())
    loaded = engines.load()
    if loaded.notice:
        print(loaded.notice, file=sys.stderr)
    settings = loaded.settings
    print(_network_line(settings.network_enabled))
    if not settings.endpoints:
        print("No remote engines. Add one: hearth-cli remote add NAME URL")
        return 0
    paths = app_paths()
    for endpoint in settings.endpoints:
        try:
            has_key = api_key_store(paths, endpoint.name).get() is not None
        except HearthError:
            has_key = False
        notes = [] if endpoint.enabled else ["disabled"]
        notes.append("API key saved" if has_key else "no API key")
        if endpoint.context_length:
            notes.append(f"context {endpoint.context_length:,}")
        print(f"{endpoint.name}  {endpoint.api_url}  ({', '.join(notes)})")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    RemoteEngines(app_paths()).remove(args.name)
    print(f"Removed {args.name} and its API key.")
    return 0


def run_models(args: argparse.Namespace) -> int:
    _print_models(args.name, RemoteEngines(app_paths()).list_models(args.name))
    return 0


def run_toggle(args: argparse.Namespace) -> int:
    RemoteEngines(app_paths()).set_enabled(args.name, args.enabled)
    print(f"{args.name} is {'enabled' if args.enabled else 'disabled'}.")
    return 0


def run_network(args: argparse.Namespace) -> int:
    engines = RemoteEngines(app_paths())
    if args.state is not None:
        engines.set_network(args.state == "on")
    print(_network_line(engines.settings.network_enabled))
    return 0


def _network_line(on: bool) -> str:
    return "Network switch: on" if on else "Network switch: off (no remote engine is used)"


def _print_models(name: str, listing: list[RemoteModelListing]) -> None:
    """One line per model: the key that `chat --model` takes, and its context if known."""
    if not listing:
        print(f"{name} lists no models.")
        return
    for model in listing:
        shown = f"  (context {model.context_length:,})" if model.context_length else ""
        print(f"{model_key_for(name, model.id)}{shown}")
