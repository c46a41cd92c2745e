"""Offline means offline: loading a model, chatting and exporting open no network connection.

The guard (netguard.refuse_network) records and refuses every network attempt made through
Python's socket module; it is first shown to catch the clients Hearth has (the standard
library's and huggingface_hub's), then wrapped around the real work. Native code could bypass
it, so llama.cpp's libraries are checked to import no socket functions at all.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import huggingface_hub
import llama_cpp
import pytest

from engine import network_guard
from engine.chat.export import chat_to_json, chat_to_markdown, write_text_atomically
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig, load_config, save_config
from engine.host.client import HostRuntime
from engine.host.process import CONNECT, CRASH_SWITCH
from engine.host.runtime import Runtime
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.reliability.netguard import refuse_network


def test_the_guard_records_and_refuses_every_way_out() -> None:
    with refuse_network() as attempts:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as raw:
            with pytest.raises(ConnectionRefusedError):
                raw.connect(("127.0.0.1", 9))
            with pytest.raises(ConnectionRefusedError):
                raw.connect_ex(("::1", 9))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(
            ConnectionRefusedError
        ):
            udp.sendto(b"?", ("127.0.0.1", 53))
        with pytest.raises(OSError):
            urllib.request.urlopen("http://example.com/", timeout=1)
        with pytest.raises(Exception, match="refuses network access"):
            huggingface_hub.HfApi(endpoint="http://127.0.0.1:9").model_info("some/model")
        left, right = socket.socketpair()  # local IPC is not the network
        with left, right:
            left.sendall(b"ok")
            assert right.recv(2) == b"ok"
    assert len(attempts) >= 6
    assert any("127.0.0.1" in attempt for attempt in attempts[-2:])
    assert socket.create_connection.__module__ == "socket", "the guard undoes itself"


def test_loading_chatting_and_exporting_open_no_connection(
    bundled_model: Path, tmp_path: Path
) -> None:
    config = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=8)))
    with refuse_network() as attempts:
        save_config(tmp_path / "settings.json", config)
        config = load_config(tmp_path / "settings.json").config
        runtime = Runtime()
        try:
            runtime.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=1)
            store = ChatStore(tmp_path / "hearth.sqlite3")
            service = ChatService(store, runtime)
            chat = store.create_chat()
            for turn in (Turn("send", "Hello"), Turn("regenerate"), Turn("edit", "Hi there")):
                events = list(service.reply(chat.id, config, threading.Event(), turn))
                assert isinstance(events[-1], TurnEnded) and events[-1].reply is not None
            messages = store.messages(chat.id)
            write_text_atomically(tmp_path / "chat.md", chat_to_markdown(chat, messages))
            write_text_atomically(tmp_path / "chat.json", chat_to_json(chat, messages))
            assert store.search("hi")
            store.close()
        finally:
            runtime.close()
    assert attempts == []
    assert "Hi there" in (tmp_path / "chat.md").read_text(encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads ELF symbol names")
def test_llama_cpp_native_libraries_import_no_socket_functions() -> None:
    libraries = sorted((Path(llama_cpp.__file__).parent / "lib").glob("*.so"))
    assert libraries, "no llama.cpp libraries found"
    for library in libraries:
        names = library.read_bytes()
        for function in (b"socket", b"connect", b"getaddrinfo", b"gethostbyname", b"sendto"):
            assert b"\0" + function + b"\0" not in names, f"{library.name} imports {function!r}"


def test_the_suites_guard_reaches_into_the_engine_host_and_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bundled_model: Path, hearth_home: Path
) -> None:
    """The whole suite runs under engine/network_guard.py: here its record is this test's own,
    so the attempts it provokes are read here instead of failing the test."""
    record = tmp_path / "attempts"
    monkeypatch.setenv(network_guard.SWITCH, str(record))
    monkeypatch.setenv(CRASH_SWITCH, f"load:1:{CONNECT}")  # the host tries TEST-NET-1 at load
    host = HostRuntime()
    try:
        host.load(bundled_model, RuntimeSettings(n_ctx=256), 1)
        host_pid = host.pid
    finally:
        host.close()
    assert host_pid is not None and host_pid != os.getpid()
    assert record.read_text().splitlines() == [f"{host_pid} getaddrinfo ('192.0.2.1', 9)"]

    monkeypatch.delenv(CRASH_SWITCH)
    search = subprocess.run(  # the Hub's real address, from a `hearth-cli` process
        [sys.executable, "-m", "engine.cli", "models", "search", "qwen"],
        env={**os.environ, "HEARTH_HOME": str(hearth_home), "HF_ENDPOINT": ""},
        capture_output=True, text=True, timeout=120, check=False)
    assert search.returncode == 1 and "network" in search.stderr.lower(), search.stderr
    attempts = record.read_text().splitlines()[1:]
    assert attempts and all("getaddrinfo ('huggingface.co', 443)" in line for line in attempts)
