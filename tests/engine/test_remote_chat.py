"""A remote engine where the local runtime is used: chat turns saved in the real SQLite history,
a document summary in parts, and `hearth-cli remote` / `chat --model remote:...` as a person runs
them (a real process) against a scripted server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.chat.service import ChatService, Turn, TurnEnded, TurnStarted
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.documents.reading import pasted_document
from engine.documents.summarize import SummaryOptions
from engine.documents.turns import summary_turn
from engine.errors import RemoteReplyCutError
from engine.host.runtime import Runtime, TextChunk
from engine.paths import app_paths
from engine.remote.client import Timeouts
from engine.remote.engine import RemoteEngine
from engine.settings import ChatSettings, SamplingSettings
from tests.engine.documents_data import speech_lines
from tests.remote_script_server import (
    ClosingEngines,
    Reply,
    ScriptServer,
    answer_events,
)

REPO = Path(__file__).resolve().parents[2]
CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=64, seed=3)))


pytestmark = pytest.mark.usefixtures("no_keyring", "remote_engines_closed", "echo_server")


@pytest.fixture
def remote(server: ScriptServer) -> Iterator[RemoteEngine]:
    engines = ClosingEngines(app_paths().ensure(), timeouts=Timeouts(connect=2, read=5))
    engines.add("script", server.base_url, context_length=1024)
    engine = engines.open_model("remote:script/script-model")
    yield engine
    engine.close()


@pytest.fixture
def service(remote: RemoteEngine, tmp_path: Path) -> Iterator[ChatService]:
    store = ChatStore(tmp_path / "chats.sqlite3")
    yield ChatService(store, Runtime(), engine=remote)
    store.close()


def test_a_chat_turn_with_a_remote_model_is_saved_in_the_history(
    service: ChatService, tmp_path: Path, server: ScriptServer
) -> None:
    chat = service.store.create_chat()
    events = list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", "Hi there")))
    assert isinstance(events[0], TurnStarted)
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert ended.reply.content == "You said: Hi there" and ended.reply.status == "done"

    second = list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", "And again")))
    assert isinstance(second[-1], TurnEnded)
    # The server was given the whole conversation, the first reply included.
    assert [(m["role"], m["content"]) for m in server.requests[-1].body["messages"]] == [
        ("system", "You are a helpful assistant."), ("user", "Hi there"),
        ("assistant", "You said: Hi there"), ("user", "And again")]

    service.store.close()
    reopened = ChatStore(tmp_path / "chats.sqlite3")
    try:
        saved = [(m.role, m.content, m.status) for m in reopened.messages(chat.id)]
    finally:
        reopened.close()
    assert saved == [("user", "Hi there", "done"), ("assistant", "You said: Hi there", "done"),
                     ("user", "And again", "done"), ("assistant", "You said: And again", "done")]


def test_a_reply_cut_by_the_network_keeps_what_arrived(
    service: ChatService, server: ScriptServer
) -> None:
    chat = service.store.create_chat()
    server.script("/v1/chat/completions",
                  Reply(events=answer_events("one two three four"), drop_after=2))
    streamed = ""
    with pytest.raises(RemoteReplyCutError, match="The reply was cut"):
        for event in service.reply(chat.id, CONFIG, threading.Event(), Turn("send", "Count")):
            if isinstance(event, TextChunk):
                streamed += event.text
    assert streamed == "one two"
    _question, answer = service.store.messages(chat.id)
    assert (answer.content, answer.status) == ("one two", "stopped")


def test_a_long_document_is_summarised_in_parts_by_the_remote_model(
    service: ChatService, server: ScriptServer
) -> None:
    server.responder = lambda body: "The speaker thanks the audience."
    document = pasted_document(speech_lines(60), name="speech.txt")
    tokens = service.runtime.count_tokens(document.text)
    assert tokens > 1024  # more than the remote context: the summary must go in parts
    chat = service.store.create_chat()
    options = SummaryOptions(words=30, part_tokens=60, temperature=0.0, seed=1)
    events = list(summary_turn(service, chat.id, document, tokens, options, threading.Event()))
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert ended.reply.content.startswith("The speaker thanks the audience.")
    # The note is the message's own field (the window words it in its language).
    assert " parts of the document " in str(ended.reply.note) and ended.reply.status == "done"
    asked = server.paths().count("/v1/chat/completions")
    assert asked >= 3  # at least two parts and the final answer
    parts = [r.body for r in server.requests if r.path == "/v1/chat/completions"]
    assert all(body["max_tokens"] <= 1024 for body in parts)


# --- the terminal ---------------------------------------------------------------------------


def hearth_cli(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEARTH_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=REPO, env=env, input=stdin,
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_the_terminal_adds_a_server_lists_its_models_and_chats_with_one(
    server: ScriptServer, hearth_home: Path
) -> None:
    server.api_key = "sk-cli"
    added = hearth_cli("remote", "add", "lab", server.base_url, "--key-stdin", home=hearth_home,
                       stdin="sk-cli\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines() == [
        f"Added lab ({server.base_url}).", "remote:lab/script-model  (context 2,048)"]

    listed = hearth_cli("remote", "list", home=hearth_home)
    assert listed.stdout.splitlines() == [
        "Network switch: on", f"lab  {server.base_url}  (API key saved)"]

    chat = hearth_cli("chat", "--model", "remote:lab/script-model", "Hello remote",
                      home=hearth_home)
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout == "You said: Hello remote\n" and chat.stderr == ""

    wrong = hearth_cli("chat", "--model", "remote:lab/other", "Hi", home=hearth_home)
    assert wrong.returncode == 1
    assert wrong.stderr == "hearth-cli: lab has no model “other” (it lists: script-model).\n"


def test_the_terminal_obeys_the_network_switch(server: ScriptServer, hearth_home: Path) -> None:
    hearth_cli("remote", "add", "lab", server.base_url, home=hearth_home)
    before = len(server.requests)
    off = hearth_cli("remote", "network", "off", home=hearth_home)
    assert off.stdout == "Network switch: off (no remote engine is used)\n"
    chat = hearth_cli("chat", "--model", "remote:lab/script-model", "Hi", home=hearth_home)
    assert chat.returncode == 1 and chat.stdout == ""
    assert chat.stderr.startswith("hearth-cli: The network switch is off, so remote engines are "
                                  "turned off: “lab” was not contacted.")
    assert len(server.requests) == before


def test_the_terminal_says_when_a_reply_was_cut(server: ScriptServer, hearth_home: Path) -> None:
    hearth_cli("remote", "add", "lab", server.base_url, home=hearth_home)
    server.script("/v1/chat/completions",
                  Reply(events=answer_events("one two three four"), drop_after=3))
    chat = hearth_cli("chat", "--model", "remote:lab/script-model", "Count", home=hearth_home)
    assert chat.returncode == 1
    assert chat.stdout == "one two three\n"
    assert chat.stderr.startswith("hearth-cli: The reply was cut: the connection to lab dropped")


def test_removing_a_server_forgets_it(server: ScriptServer, hearth_home: Path) -> None:
    hearth_cli("remote", "add", "lab", server.base_url, home=hearth_home)
    removed = hearth_cli("remote", "remove", "lab", home=hearth_home)
    assert removed.stdout == "Removed lab and its API key.\n"
    models = hearth_cli("remote", "models", "lab", home=hearth_home)
    assert models.returncode == 1
    assert models.stderr == "hearth-cli: There is no remote engine named “lab” (added: none yet).\n"


def test_the_terminal_summarises_with_a_remote_model(
    server: ScriptServer, hearth_home: Path, tmp_path: Path
) -> None:
    server.responder = lambda body: "The speech promised schools."
    assert hearth_cli("remote", "add", "lab", server.base_url, home=hearth_home).returncode == 0
    speech = tmp_path / "speech.txt"
    speech.write_text("\n\n".join(speech_lines(8)), encoding="utf-8")
    summary = hearth_cli("summarize", str(speech), "--model", "remote:lab/script-model",
                         home=hearth_home)
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout == "The speech promised schools.\n"
    assert "/v1/chat/completions" in server.paths()
