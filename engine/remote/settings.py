"""The remote engines a person added, and the network switch that turns them all off at once.

One small JSON file in the data folder, written atomically. A file that cannot be read is set
aside (renamed with a `.broken` suffix) and an empty list is used, with a notice to show. API keys
are secrets and never go in this file: they live in the keyring or a file only the user can read.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import RemoteError, SettingsError
from engine.paths import AppPaths
from engine.remote.credentials import SecretStore
from engine.settings_file import load_settings_file, save_settings_file
from engine.text import Text

SETTINGS_VERSION = 1
DEFAULT_CONTEXT_LENGTH = 4096  # when neither the person nor the server says
MIN_CONTEXT_LENGTH, MAX_CONTEXT_LENGTH = 256, 2**24
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


@dataclass(frozen=True)
class Endpoint:
    """One OpenAI-compatible server. `context_length` overrides what its models listing says."""

    name: str
    base_url: str
    enabled: bool = True
    context_length: int | None = None

    @property
    def api_url(self) -> str:
        """Where /chat/completions and /models live: the URL as given, or its /v1 when the
        person gave only the server (http://host:8080)."""
        parts = urllib.parse.urlsplit(self.base_url)
        return self.base_url if parts.path.strip("/") else f"{self.base_url}/v1"

    @property
    def server_url(self) -> str:
        """The server's root, where llama.cpp and vLLM serve /tokenize."""
        parts = urllib.parse.urlsplit(self.base_url)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))


@dataclass(frozen=True)
class RemoteSettings:
    network_enabled: bool = True  # the app's network switch: off turns every remote engine off
    endpoints: tuple[Endpoint, ...] = field(default_factory=tuple)

    def endpoint(self, name: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        known = ", ".join(e.name for e in self.endpoints) or "none yet"
        raise RemoteError(Text("There is no remote engine named “{name}” (added: {known}).",
                               name=name, known=known))

    def to_json(self) -> str:
        return json.dumps({
            "version": SETTINGS_VERSION,
            "network_enabled": self.network_enabled,
            "endpoints": [dataclasses.asdict(endpoint) for endpoint in self.endpoints],
        }, indent=2)

    @classmethod
    def from_json(cls, text: str) -> RemoteSettings:
        """Parses the file; raises SettingsError when anything in it is invalid."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise SettingsError({"file": f"not valid JSON ({error})"}) from None
        if not isinstance(data, dict) or not isinstance(data.get("endpoints", []), list):
            raise SettingsError({"file": "not a remote engines object"})
        network = data.get("network_enabled", True)
        if not isinstance(network, bool):
            raise SettingsError({"network_enabled": "must be true or false"})
        endpoints = tuple(_endpoint_from(item) for item in data.get("endpoints", []))
        names = [endpoint.name for endpoint in endpoints]
        if len(set(names)) != len(names):
            raise SettingsError({"endpoints": "a name is listed twice"})
        return cls(network_enabled=network, endpoints=endpoints)


def _endpoint_from(item: Any) -> Endpoint:
    if not isinstance(item, dict):
        raise SettingsError({"endpoints": "each endpoint must be an object"})
    enabled, context = item.get("enabled", True), item.get("context_length")
    if not isinstance(enabled, bool):
        raise SettingsError({"enabled": "must be true or false"})
    return make_endpoint(str(item.get("name", "")), str(item.get("base_url", "")),
                         enabled=enabled, context_length=context)


def make_endpoint(name: str, base_url: str, *, enabled: bool = True,
                  context_length: object = None) -> Endpoint:
    """A checked endpoint; raises SettingsError naming each field that is wrong."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not _NAME.fullmatch(name):
        errors["name"] = ("a name is 1 to 40 letters, digits, dots, dashes or underscores, "
                          "starting with a letter or digit")
    url = base_url.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors["base_url"] = "the address must start with http:// or https:// and name a server"
    elif parts.query or parts.fragment:
        errors["base_url"] = "the address must not have a query (?...) or fragment (#...)"
    elif parts.username is not None or parts.password is not None:
        # This file is plain text, shown in the window: a secret belongs in the key store.
        errors["base_url"] = ("the address must not hold a user name or password (user:pass@): "
                              "give the API key in its own field")
    if context_length is not None and (
            type(context_length) is not int
            or not MIN_CONTEXT_LENGTH <= context_length <= MAX_CONTEXT_LENGTH):
        errors["context_length"] = (f"the context length must be a whole number from "
                                    f"{MIN_CONTEXT_LENGTH} to {MAX_CONTEXT_LENGTH:,}")
    if errors:
        raise SettingsError(errors)
    assert context_length is None or isinstance(context_length, int)
    return Endpoint(name, url, enabled, context_length)


@dataclass(frozen=True)
class LoadedRemoteSettings:
    settings: RemoteSettings
    notice: Text | None  # set when the file was unreadable and an empty list was used


def load_remote_settings(path: Path) -> LoadedRemoteSettings:
    settings, notice = load_settings_file(path, RemoteSettings.from_json, RemoteSettings,
                                          Text("The list of remote engines was reset"))
    return LoadedRemoteSettings(settings, notice)


def save_remote_settings(path: Path, settings: RemoteSettings) -> None:
    save_settings_file(path, settings.to_json(), Text("the remote engines"))


def api_key_store(paths: AppPaths, endpoint_name: str) -> SecretStore:
    """Where one endpoint's API key is kept (the keyring, or a file only the user can read)."""
    return SecretStore(paths, f"remote-engine:{endpoint_name}",
                       f"remote-key-{endpoint_name}", f"the API key of “{endpoint_name}”")


class NetworkSwitch:
    """The network switch as the running app sees it; any thread may read or flip it."""

    def __init__(self, on: bool = True) -> None:
        self._on = threading.Event()
        if on:
            self._on.set()

    def is_on(self) -> bool:
        return self._on.is_set()

    def set(self, on: bool) -> None:
        if on:
            self._on.set()
        else:
            self._on.clear()
