"""A model file that passes Hearth's checks but makes llama.cpp abort: a message, the app alive.

The file is the bundled model (SmolLM2, a BPE "gpt2" vocabulary) relabelled as a SentencePiece
("llama") one. It loads; at the first message llama.cpp's SentencePiece tokenizer falls back to
byte tokens (`<0x..>`) this vocabulary lacks, `std::out_of_range` escapes through the C API and
the process aborts. Only the engine host dies: the chat says so, the same engine answers with
another model afterwards, and the window steps down through the safe ways of loading the model
and then stops reloading it, since none of them helps. Given up on, the file is not kept as the
model Hearth opens next time, and the API says why it answers no more (in the app and alone).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageRole
from desktop.main_window import MainWindow
from engine.api.local import LocalServer
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig, load_config, save_config
from engine.errors import EngineCrashedError
from engine.host.client import HostRuntime
from engine.host.runtime import LoadedModel
from engine.host.safe_configs import LEVELS
from engine.models.files import check_header_values, inspect_model_file
from engine.paths import app_paths
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS, wait_for
from tests.desktop import conftest as desktop
from tests.desktop.conftest import LOAD_TIMEOUT_MS, MAX_STALL_MS, WindowFactory, longest_stall
from tests.desktop.test_api_window import free_port, switch_on
from tests.gguf_forge import Value, copy_with_metadata

# tests/desktop's window, for the window test here (it opens with `test_config` below).
open_window = desktop.open_window

CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=8, seed=3)))
QUESTION = "Name three colours."
REPLY_TIMEOUT_MS = 60_000
# What the host writes to its stderr as it dies, and nothing else: no stack dump before it.
REASON = ("terminate called after throwing an instance of 'std::out_of_range'",
          "  what():  unordered_map::at")
# Two crashes at each level (loaded as it is, then the safe ways), and Hearth gives up.
CRASHES_TO_GIVE_UP = 2 * len(LEVELS)
# What the window's banner and the API say once Hearth gave up on the file, the reason between.
GIVEN_UP_START = ("No model is loaded: The model smollm2-spm.gguf stopped unexpectedly while "
                  "reading the prompt (the engine process was killed by SIGABRT). ")
GIVEN_UP_WHY = ("so it is not loaded again: this model file cannot be used on this machine. "
                "Pick another model.")


@pytest.fixture(scope="module")
def aborting_model(bundled_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_with_metadata(bundled_model, tmp_path_factory.mktemp("models") / "smollm2-spm.gguf",
                              {"tokenizer.ggml.model": Value.string("llama")})


@pytest.fixture
def test_config() -> AppConfig:
    """The window's settings (open_window saves them): tests/desktop's, with short replies."""
    return AppConfig(
        chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=8, seed=7)),
        runtime=RuntimeSettings(n_ctx=2048, n_threads=1),
    )


def test_the_aborting_model_passes_hearths_checks(aborting_model: Path) -> None:
    # The point is a crash Hearth cannot foresee: if a later check refuses this file, these
    # tests need a new forge (another value llama.cpp accepts and aborts on), not a new assert.
    header = inspect_model_file(aborting_model).header
    check_header_values(header)
    assert header.metadata["tokenizer.ggml.model"] == "llama"


def test_an_abort_is_an_error_naming_it_and_the_same_engine_then_answers(
    aborting_model: Path, bundled_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = HostRuntime(tmp_path / "safe-loading.json")
    store = ChatStore(tmp_path / "chats.sqlite3")
    try:
        runtime.load(aborting_model, RuntimeSettings(n_ctx=1024), TEST_THREADS)
        host = runtime.pid
        assert host is not None and host != os.getpid()
        service = ChatService(store, runtime)  # as the window's worker has it
        chat = store.create_chat()
        with (caplog.at_level(logging.WARNING, logger="engine.host.client"),
              pytest.raises(EngineCrashedError) as crashed):
            list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", QUESTION)))
        message = str(crashed.value)
        assert message.startswith("The model smollm2-spm stopped unexpectedly while reading the "
                                  "prompt (the engine process was killed by SIGABRT). Hearth "
                                  "restarts it and loads the model again."), message
        assert message.endswith("\n".join(REASON)), message
        # Lines the host wrote outside its log (C++'s last words): the reason alone, no stack
        # dump of ggml's before it to push llama.cpp's lines out of the tail.
        raw = [record.getMessage().removeprefix("engine host: ") for record in caplog.records
               if record.getMessage().startswith("engine host: ")]
        assert tuple(raw) == REASON
        assert store.messages(chat.id) == [], "the chat is as it was (the window gives it back)"
        runtime.load(bundled_model, RuntimeSettings(n_ctx=1024), TEST_THREADS)
        ended = list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", QUESTION)))[-1]
        assert isinstance(ended, TurnEnded) and ended.reply is not None
        assert ended.reply.content.strip()
        assert [(m.role, m.status) for m in store.messages(chat.id)] == [
            ("user", "done"), ("assistant", "done")]
    finally:
        store.close()
        runtime.close()


def test_a_model_that_aborts_loaded_the_safest_way_is_not_loaded_again(
    aborting_model: Path, bundled_model: Path, tmp_path: Path
) -> None:
    # It already stepped down to the last level on this machine (as the window test does).
    safe_file = tmp_path / "safe-loading.json"
    safe_file.write_text(f'{{"{aborting_model}": {len(LEVELS) - 1}}}')
    runtime = HostRuntime(safe_file)
    store = ChatStore(tmp_path / "chats.sqlite3")
    try:
        loaded = runtime.load(aborting_model, RuntimeSettings(n_ctx=1024), TEST_THREADS)
        assert loaded.n_ctx == 512  # half the context: the safest level
        service = ChatService(store, runtime)
        chat = store.create_chat()
        messages = []
        for _try in range(2):
            with pytest.raises(EngineCrashedError) as crashed:
                list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", QUESTION)))
            messages.append(str(crashed.value))
        assert "loads the model again" in messages[0]
        assert "killed by SIGABRT" in messages[1]
        assert "so it is not loaded again: this model file cannot be used on this machine. " \
               "Pick another model." in messages[1]
        assert runtime.last_crash is not None and runtime.last_crash.gave_up is not None
        assert runtime.wanted_model is None and runtime.recover() is None  # nothing reloads
        assert runtime.load(bundled_model, RuntimeSettings(n_ctx=1024), TEST_THREADS)
    finally:
        store.close()
        runtime.close()


def _pick_model(qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch,
                path: Path) -> None:
    """File → Open model file… (Ctrl+O), the file chosen in the dialog being `path`."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(path), ""))
    with qtbot.waitSignal(window.client.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)


def _rows(window: MainWindow) -> list[tuple[str, str, str]]:
    model = window.chat_panel.messages
    return [(model.index(row).data(MessageRole.Speaker),
             model.index(row).data(Qt.ItemDataRole.DisplayRole),
             model.index(row).data(MessageRole.Status)) for row in range(model.rowCount())]


def _level(loaded: LoadedModel) -> int:
    """How many of the safe ways the model was loaded with (the test's n_ctx is 2048)."""
    settings = loaded.settings
    return (settings.safe_mode == 1) + (settings.n_gpu_layers == 0) + (settings.n_ctx == 1024)


def test_the_window_tries_the_safe_ways_then_says_the_model_cannot_be_used(
    qtbot: QtBot, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch,
    aborting_model: Path, bundled_model: Path,
) -> None:
    window = open_window()
    client, panel, composer = window.client, window.chat_panel, window.chat_panel.composer
    loads: list[LoadedModel] = []
    client.modelLoaded.connect(lambda loaded, _backend: loads.append(loaded))
    failures: list[str] = []
    client.modelFailed.connect(failures.append)
    with longest_stall() as stall:
        _pick_model(qtbot, window, monkeypatch, aborting_model)
        composer.setFocus()
        qtbot.keyClicks(composer, QUESTION)
        for crash in range(1, CRASHES_TO_GIVE_UP + 1):
            loaded = len(loads)
            with qtbot.waitSignal(client.turnRefused, timeout=REPLY_TIMEOUT_MS) as refused:
                qtbot.keyClick(composer, Qt.Key.Key_Return)  # the message given back, again
            assert "killed by SIGABRT" in refused.args[3]
            assert composer.toPlainText() == QUESTION, "the message goes back to the box"
            if crash < CRASHES_TO_GIVE_UP:
                qtbot.waitUntil(lambda: len(loads) > loaded,  # noqa: B023 (waited for at once)
                                timeout=LOAD_TIMEOUT_MS)
                qtbot.waitUntil(lambda: "It is loaded again." in panel.banner.text())
        qtbot.waitUntil(lambda: bool(failures), timeout=LOAD_TIMEOUT_MS)
    assert stall() < MAX_STALL_MS, "the window kept running through every crash and reload"
    # Two crashes at each level, then the next one: and after the last, no reload at all.
    assert [_level(loaded) for loaded in loads] == [0, 0, 1, 1, 2, 2, 3, 3]
    banner = panel.banner.text()
    assert banner.startswith("No model is loaded: ") and "killed by SIGABRT" in banner
    assert "this model file cannot be used on this machine. Pick another model." in banner
    assert banner.endswith("\n".join(REASON))
    assert window.status.model_label.text() == "No model loaded"
    assert not panel.send_button.isEnabled() and composer.toPlainText() == QUESTION
    assert _rows(window) == []

    _pick_model(qtbot, window, monkeypatch, bundled_model)
    assert loads[-1].path == bundled_model and len(loads) == CRASHES_TO_GIVE_UP + 1
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS):
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    (user, assistant) = _rows(window)
    assert user == ("user", QUESTION, "done")
    assert assistant[0] == "assistant" and assistant[1].strip() and assistant[2] == "done"


@pytest.fixture
def clients() -> Iterator[Callable[[str, str], openai.OpenAI]]:
    """OpenAI clients (base URL, token) that do not retry, closed at the test's end with their
    connections (before a window's teardown, when asked for after `open_window`)."""
    made: list[openai.OpenAI] = []

    def make(url: str, token: str) -> openai.OpenAI:
        made.append(openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=120))
        return made[-1]

    yield make
    for client in made:
        client.close()


def _refused(call: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The error body and the headers of a request the server answered 503."""
    with pytest.raises(openai.InternalServerError) as refused:
        call()
    assert refused.value.status_code == 503
    error: dict[str, Any] = refused.value.response.json()["error"]
    return error, dict(refused.value.response.headers)


def test_an_api_server_whose_model_is_given_up_on_says_why_until_started_with_another(
    aborting_model: Path, bundled_model: Path, caplog: pytest.LogCaptureFixture,
    clients: Callable[[str, str], openai.OpenAI],
) -> None:
    question: list[Any] = [{"role": "user", "content": QUESTION}]
    settings, defaults = RuntimeSettings(n_ctx=1024), SamplingSettings(max_tokens=8)
    with LocalServer(aborting_model, runtime=settings, n_threads=TEST_THREADS,
                     defaults=defaults) as server:
        api = clients(server.url, server.token)
        model = api.models.list().data[0].id
        assert model == "smollm2-spm"
        for crash in range(1, CRASHES_TO_GIVE_UP + 1):
            loaded = server.loaded
            error, headers = _refused(lambda: api.chat.completions.create(
                model=model, messages=question))
            assert error["code"] == "model_crashed" and "killed by SIGABRT" in error["message"]
            if crash < CRASHES_TO_GIVE_UP:  # it is loaded again (a safer way): retry then
                assert headers["retry-after"] == "5"
                wait_for(lambda: server.loaded is not loaded  # noqa: B023 (waited for at once)
                         and server.service.model is not None, "the model loaded again")
        # The last crash: Hearth gave up on the file, so waiting 5 s would not help.
        assert GIVEN_UP_WHY in error["message"] and "retry-after" not in headers
        assert headers["x-should-retry"] == "false"  # OpenAI's clients would retry a 503
        wait_for(lambda: "cannot be used" in server.service.refusal().message,
                 "the server to refuse requests saying why")

        with caplog.at_level(logging.INFO, logger="engine.host.client"):
            for _request in range(2):  # and again: no reload in between
                error, headers = _refused(lambda: api.chat.completions.create(
                    model=model, messages=question))
                assert error["type"] == "server_error" and error["code"] == "model_not_loaded"
                message = error["message"]
                assert message.startswith(GIVEN_UP_START), message
                assert GIVEN_UP_WHY in message and message.endswith("\n".join(REASON)), message
                assert "retry-after" not in headers and headers["x-should-retry"] == "false"
            embeddings, _headers = _refused(lambda: api.embeddings.create(
                model=model, input="colours"))
            assert embeddings == error
            assert api.models.list().data == []
        assert server.loaded is None
        assert not [record for record in caplog.records
                    if record.getMessage().startswith("engine host started")]

    # Started again with a good model, the server answers.
    with LocalServer(bundled_model, runtime=settings, n_threads=TEST_THREADS,
                     defaults=defaults) as server:
        api = clients(server.url, server.token)
        answer = api.chat.completions.create(model=api.models.list().data[0].id,
                                             messages=question)
        assert (answer.choices[0].message.content or "").strip()


def _loaded_the_safest_way_before(model: Path) -> None:
    """It stepped down to the safest level on this machine before: two crashes and Hearth gives
    up (the window test above goes through every level)."""
    app_paths().safe_configs_file.write_text(json.dumps({str(model): len(LEVELS) - 1}))


def _default_model() -> str | None:
    return load_config(app_paths().settings_file).config.default_model


def _crash_twice(qtbot: QtBot, window: MainWindow) -> list[LoadedModel]:
    """Sends a message twice: each time the model crashes; after the first it is loaded again,
    after the second Hearth gives up on it. The loads that came meanwhile (one)."""
    client, composer = window.client, window.chat_panel.composer
    loads: list[LoadedModel] = []
    client.modelLoaded.connect(lambda loaded, _backend: loads.append(loaded))
    failures: list[str] = []
    client.modelFailed.connect(failures.append)
    composer.setFocus()
    qtbot.keyClicks(composer, QUESTION)
    with qtbot.waitSignal(client.turnRefused, timeout=REPLY_TIMEOUT_MS):
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(loads), timeout=LOAD_TIMEOUT_MS)
    with qtbot.waitSignal(client.turnRefused, timeout=REPLY_TIMEOUT_MS):
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(failures), timeout=LOAD_TIMEOUT_MS)
    return loads


def test_a_model_given_up_on_is_not_kept_as_the_default_and_the_api_says_why(
    qtbot: QtBot, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch,
    aborting_model: Path, bundled_model: Path, clients: Callable[[str, str], openai.OpenAI],
) -> None:
    _loaded_the_safest_way_before(aborting_model)
    window = open_window()
    client, panel = window.client, window.chat_panel
    switch_on(qtbot, window, free_port())
    state = client.api.state
    assert state.running, state.error
    api = clients(state.url or "", state.settings.token or "")
    question: list[Any] = [{"role": "user", "content": QUESTION}]
    _pick_model(qtbot, window, monkeypatch, bundled_model)
    assert _default_model() == str(bundled_model)
    # A picked model is saved as the default once it loads: whether it can be used is learnt
    # only at its first message. So it is taken back when Hearth gives up on it; kept, the next
    # start would load it again and crash twice more before saying it cannot be used.
    _pick_model(qtbot, window, monkeypatch, aborting_model)
    assert _default_model() == str(aborting_model)
    loads = _crash_twice(qtbot, window)
    assert _default_model() == str(bundled_model), "the default before the pick is back"

    # The API says what the window says (HTTP threads answer it: no engine work to wait for).
    banner = panel.banner.text()
    assert banner.startswith(GIVEN_UP_START) and GIVEN_UP_WHY in banner, banner
    for _request in range(2):
        error, headers = _refused(lambda: api.chat.completions.create(
            model="smollm2-spm", messages=question))
        assert error["message"] == banner and error["code"] == "model_not_loaded"
        assert "retry-after" not in headers and headers["x-should-retry"] == "false"
    assert client.api.state.model is None and len(loads) == 1  # the one reload between

    _pick_model(qtbot, window, monkeypatch, bundled_model)
    answers: list[Any] = []
    request = threading.Thread(target=lambda: answers.append(api.chat.completions.create(
        model=bundled_model.stem, messages=question, max_tokens=8)))
    with qtbot.waitSignal(client.api.requestEnded, timeout=REPLY_TIMEOUT_MS):
        request.start()
    request.join(60)
    assert answers and (answers[0].choices[0].message.content or "").strip()


def test_a_default_model_given_up_on_is_no_longer_the_default(
    qtbot: QtBot, open_window: WindowFactory, test_config: AppConfig, aborting_model: Path,
) -> None:
    # Saved as the default in an earlier session (before Hearth gave up on it, or with another
    # llama.cpp): the next start opens the bundled model instead.
    _loaded_the_safest_way_before(aborting_model)
    save_config(app_paths().settings_file,
                dataclasses.replace(test_config, default_model=str(aborting_model)))
    _crash_twice(qtbot, open_window())
    assert _default_model() is None
