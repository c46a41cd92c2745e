"""The remote engines a person added, as one object: the settings file, the API keys, the
network switch, and opening one of their models by its key."""

from __future__ import annotations

import dataclasses
import threading

from engine.errors import CredentialsError, RemoteError
from engine.paths import AppPaths
from engine.remote.client import DEFAULT_TIMEOUTS, RemoteClient, RemoteModelListing, Timeouts
from engine.remote.engine import RemoteEngine
from engine.remote.keys import parse_model_key
from engine.remote.settings import (
    Endpoint,
    LoadedRemoteSettings,
    NetworkSwitch,
    RemoteSettings,
    api_key_store,
    load_remote_settings,
    make_endpoint,
    save_remote_settings,
)
from engine.text import Text


class RemoteEngines:
    """Reads the settings file on every call, so several of these (the GUI's, the engine
    thread's) agree; share one NetworkSwitch between them so the switch acts at once."""

    def __init__(self, paths: AppPaths, network: NetworkSwitch | None = None,
                 timeouts: Timeouts = DEFAULT_TIMEOUTS) -> None:
        self._paths = paths
        self._file = paths.remote_engines_file
        self.timeouts = timeouts
        # Given a switch, nothing is read here (the GUI makes this on its own thread).
        self.network = network or NetworkSwitch(self.settings.network_enabled)

    def load(self) -> LoadedRemoteSettings:
        return load_remote_settings(self._file)

    @property
    def settings(self) -> RemoteSettings:
        return self.load().settings

    def add(self, name: str, base_url: str, api_key: str | None = None,
            context_length: int | None = None) -> Endpoint:
        """Adds an endpoint (and stores its key as a secret); raises SettingsError for a bad
        name, address or length, RemoteError when the name is taken."""
        endpoint = make_endpoint(name, base_url, context_length=context_length)
        settings = self.settings
        if any(e.name == endpoint.name for e in settings.endpoints):
            raise RemoteError(Text("A remote engine named “{name}” is already added: remove it "
                                   "first, or choose another name.",
                                   name=endpoint.name))
        store = api_key_store(self._paths, endpoint.name)
        if api_key and api_key.strip():
            store.set(api_key)
        else:
            store.clear()
        try:
            save_remote_settings(self._file, dataclasses.replace(
                settings, endpoints=(*settings.endpoints, endpoint)))
        except BaseException:
            store.clear()
            raise
        return endpoint

    def remove(self, name: str) -> None:
        settings = self.settings
        settings.endpoint(name)  # raises for an unknown name
        save_remote_settings(self._file, dataclasses.replace(
            settings, endpoints=tuple(e for e in settings.endpoints if e.name != name)))
        api_key_store(self._paths, name).clear()

    def set_enabled(self, name: str, enabled: bool) -> None:
        settings = self.settings
        endpoint = dataclasses.replace(settings.endpoint(name), enabled=enabled)
        save_remote_settings(self._file, dataclasses.replace(settings, endpoints=tuple(
            endpoint if e.name == name else e for e in settings.endpoints)))

    def set_network(self, on: bool) -> None:
        """Flips the switch at once (every engine sharing it stops), then saves it."""
        self.network.set(on)
        save_remote_settings(self._file, dataclasses.replace(self.settings, network_enabled=on))

    def client(self, name: str) -> RemoteClient:
        endpoint = self.settings.endpoint(name)
        if not endpoint.enabled:
            raise RemoteError(Text("The remote engine “{name}” is turned off in its settings.",
                                   name=name))
        try:
            key = api_key_store(self._paths, name).get()
        except CredentialsError as error:
            raise RemoteError(str(error)) from None
        return RemoteClient(endpoint, key, self.network, self.timeouts)

    def list_models(self, name: str,
                    cancel: threading.Event | None = None) -> list[RemoteModelListing]:
        client = self.client(name)
        try:
            return client.list_models(cancel)
        finally:
            client.close()

    def open_model(self, key: str, cancel: threading.Event | None = None) -> RemoteEngine:
        """The model a `remote:<endpoint>/<model id>` key names, checked against the server."""
        name, model_id = parse_model_key(key)
        client = self.client(name)
        try:
            return RemoteEngine.open(client, model_id, cancel)
        except BaseException:
            client.close()
            raise
