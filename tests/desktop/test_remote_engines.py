"""Remote engines in the real window, against a scripted OpenAI-compatible server on 127.0.0.1:
added in the Models tab, picked beside local models in the chat, answering a chat, and the
network switch turning them all off."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageRole
from desktop.main_window import MainWindow
from desktop.models.picker import REMOTE_MARK
from desktop.remote.client import NETWORK_OFF_TEXT
from desktop.remote.panel import KEY_ROLE, RemoteEnginesPanel
from engine.prompt_lab.results import TuneResult
from engine.prompt_lab.search import GENERATION_NOTE
from engine.remote.engine import RemoteModel
from tests.desktop.conftest import WindowFactory
from tests.engine.test_prompt_lab_search import NEGATIVE, POSITIVE
from tests.remote_script_server import Reply, ScriptServer, last_user_message

WAIT_MS = 20_000
REPLY_MS = 30_000


pytestmark = pytest.mark.usefixtures("no_keyring")


@pytest.fixture
def server() -> Iterator[ScriptServer]:
    scripted = ScriptServer(models=[
        {"id": "script-model", "owned_by": "script", "meta": {"n_ctx_train": 8192}},
        {"id": "second-model", "owned_by": "script"},
    ])
    scripted.responder = lambda body: f"Remote says: {last_user_message(body)}"
    yield scripted
    scripted.close()


def add_engine(qtbot: QtBot, window: MainWindow, server: ScriptServer,
               key: str = "") -> RemoteEnginesPanel:
    window.tabs.setCurrentWidget(window.models_tab)
    panel = window.models_tab.remote_panel
    qtbot.keyClicks(panel.name_edit, "script")
    qtbot.keyClicks(panel.url_edit, server.base_url)
    qtbot.keyClicks(panel.key_edit, key)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    return panel


def window_with_remote_models(qtbot: QtBot, open_window: WindowFactory,
                              server: ScriptServer) -> MainWindow:
    """A window whose chat picker lists the bundled model and the server's two."""
    window = open_window()
    add_engine(qtbot, window, server)
    qtbot.waitUntil(lambda: window.chat_panel.model_picker.count() == 3, timeout=WAIT_MS)
    return window


def model_rows(panel: RemoteEnginesPanel) -> list[tuple[str, str]]:
    if panel.engines.rowCount() == 0:
        return []
    engine = panel.engines.item(0, 0)
    return [(engine.child(row, 0).text(), engine.child(row, 1).text())
            for row in range(engine.rowCount())]


def test_an_engine_added_in_the_models_tab_lists_its_models(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    window = open_window()
    panel = add_engine(qtbot, window, server, key="sk-anything")
    qtbot.waitUntil(lambda: len(model_rows(panel)) == 2, timeout=WAIT_MS)
    assert model_rows(panel) == [("script-model", "8,192"), ("second-model", "?")]
    assert panel.engines.item(0, 0).text() == f"script — {server.base_url}"
    assert panel.engines.item(0, 2).text() == "2 models"
    assert panel.status_label.text() == "script answered with 2 models."
    assert panel.name_edit.text() == panel.key_edit.text() == ""  # the key is not left shown
    assert server.requests[-1].headers["authorization"] == "Bearer sk-anything"


def test_a_wrong_key_says_so_in_the_tab(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    server.api_key = "sk-right"
    window = open_window()
    panel = add_engine(qtbot, window, server, key="sk-wrong")
    qtbot.waitUntil(lambda: "refused the API key" in panel.status_label.text(), timeout=WAIT_MS)
    assert panel.status_label.text().startswith("script refused the API key (HTTP 401)")
    assert panel.engines.item(0, 2).text() == "cannot connect"


def test_the_chat_answers_from_a_remote_model_picked_beside_local_ones(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    window = window_with_remote_models(qtbot, open_window, server)
    picker = window.chat_panel.model_picker
    labels = [picker.itemText(i) for i in range(picker.count())]
    assert labels[0].startswith("SmolLM2")  # local models first
    assert labels[1:] == [f"script-model  {REMOTE_MARK} (script)",
                          f"second-model  {REMOTE_MARK} (script)"]

    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS) as loaded:
        picker.activated.emit(1)
    model = loaded.args[0]
    assert isinstance(model, RemoteModel) and model.key == "remote:script/script-model"
    assert model.n_ctx == 8192
    assert picker.currentIndex() == 1
    assert window.status.model_label.text() == "script-model · remote (script)"

    window.tabs.setCurrentWidget(window.chat_tab)
    with qtbot.waitSignal(window.client.replyFinished, timeout=REPLY_MS) as finished:
        composer = window.chat_panel.composer
        composer.setFocus()
        qtbot.keyClicks(composer, "Hello over there")
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert finished.args[1].content == "Remote says: Hello over there"
    messages = window.chat_panel.messages
    shown = [(messages.index(r).data(MessageRole.Speaker),
              messages.index(r).data(Qt.ItemDataRole.DisplayRole)) for r in
             range(messages.rowCount())]
    assert shown[-2:] == [("user", "Hello over there"),
                          ("assistant", "Remote says: Hello over there")]


def test_the_network_switch_turns_every_remote_engine_off(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    window = open_window()
    panel = add_engine(qtbot, window, server)
    picker = window.chat_panel.model_picker
    qtbot.waitUntil(lambda: picker.count() == 3, timeout=WAIT_MS)
    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS):
        picker.activated.emit(1)
    assert window.network_action.isChecked()

    with qtbot.waitSignal(window.client.modelFailed, timeout=WAIT_MS) as failed:
        window.network_action.trigger()
    before = len(server.requests)
    assert failed.args[0].startswith("The network switch is off, so script-model (a remote "
                                     "engine) is turned off.")
    assert window.status.currentMessage() == NETWORK_OFF_TEXT
    assert window.chat_panel.banner.text().startswith("No model is loaded: The network switch")
    remote_item = picker.model().item(1)  # type: ignore[attr-defined]
    assert not remote_item.isEnabled()
    assert NETWORK_OFF_TEXT in picker.itemData(1, Qt.ItemDataRole.ToolTipRole)
    assert panel.status_label.text() == NETWORK_OFF_TEXT and not panel.test_button.isEnabled()

    # Picking it anyway (a stale menu, the keyboard) contacts nobody.
    with qtbot.waitSignal(window.client.modelFailed, timeout=WAIT_MS) as refused:
        window.client.load_model("remote:script/second-model")
    assert "The network switch is off" in refused.args[0]
    assert len(server.requests) == before

    # On again: the remote model the chat was using comes back by itself.
    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS) as loaded:
        window.network_action.trigger()
    assert isinstance(loaded.args[0], RemoteModel)
    assert picker.model().item(1).isEnabled()  # type: ignore[attr-defined]


def test_a_model_key_is_kept_on_each_remote_row(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    window = open_window()
    panel = add_engine(qtbot, window, server)
    qtbot.waitUntil(lambda: len(model_rows(panel)) == 2, timeout=WAIT_MS)
    first = panel.engines.item(0, 0).child(0, 0)
    assert first.data(KEY_ROLE) == "remote:script/script-model"
    panel.view.setCurrentIndex(first.index())
    assert panel.use_button.isEnabled()
    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS) as loaded:
        qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert isinstance(loaded.args[0], RemoteModel)


def test_the_prompt_lab_on_a_remote_model_scores_generated_answers_and_says_so(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer, tmp_path: Path
) -> None:
    positive, negative = POSITIVE[:8], NEGATIVE[:8]
    server.responder = lambda body: (
        "positive" if last_user_message(body) in positive else "negative")
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text("".join(
        json.dumps({"input": text, "output": label}) + "\n"
        for good, bad in zip(positive, negative, strict=True)
        for text, label in ((good, "pos"), (bad, "neg"))), encoding="utf-8")
    window = window_with_remote_models(qtbot, open_window, server)
    picker = window.chat_panel.model_picker
    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS):
        picker.activated.emit(1)

    window.tabs.setCurrentWidget(window.prompt_lab_tab)
    tab = window.prompt_lab_tab
    with qtbot.waitSignal(tab._lab.taskImported, timeout=WAIT_MS):
        tab.import_file(str(reviews))
    qtbot.waitUntil(lambda: "about" in tab.budget_box.itemText(0), timeout=WAIT_MS)
    qtbot.waitUntil(tab.tune_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(tab._lab.tuneFinished, timeout=REPLY_MS) as finished:
        tab.tune_button.click()
    result: TuneResult = finished.args[0]
    assert result.scored_by == "generated answers"
    assert result.held_out is not None and result.held_out.winner_score == 1.0
    shown = tab.results.summary_label.text()
    assert GENERATION_NOTE.split(", so")[0] in shown  # "Scored by generated answers: ..."
    assert result.model.path == "remote:script/script-model"


def test_a_bad_address_is_refused_with_the_reason_and_nothing_is_saved(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    window = open_window()
    window.tabs.setCurrentWidget(window.models_tab)
    panel = window.models_tab.remote_panel
    qtbot.keyClicks(panel.name_edit, "lab")
    qtbot.keyClicks(panel.url_edit, "ftp://192.168.1.5")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "base_url" in panel.status_label.text(), timeout=WAIT_MS)
    assert panel.status_label.text() == (
        "base_url: the address must start with http:// or https:// and name a server")
    assert panel.engines.rowCount() == 0 and panel.add_button.isEnabled()
    assert panel.url_edit.text() == "ftp://192.168.1.5"  # kept, to correct it
    assert server.requests == []


def test_a_server_that_never_answers_cannot_keep_hearth_running_after_its_window_closes(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    server.script("/v1/models", Reply(hold_before_headers=True))
    window = open_window()
    panel = add_engine(qtbot, window, server)
    qtbot.waitUntil(lambda: "/v1/models" in server.paths(), timeout=WAIT_MS)
    # Python joins every non-daemon thread at exit: one waiting on this server would keep the
    # process alive for the whole read timeout after the window closed.
    waiting = [t for t in threading.enumerate() if t.name.startswith("hearth-remote")
               and t.name != "hearth-remote-file_0"]
    assert waiting and all(t.daemon for t in waiting)
    server.release()  # the server hangs up without answering: the tab says so
    qtbot.waitUntil(lambda: panel.engines.item(0, 2).text() == "cannot connect",
                    timeout=WAIT_MS)


def test_a_silent_server_does_not_hold_up_the_chats_while_its_model_is_asked_for(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    window = window_with_remote_models(qtbot, open_window, server)
    picker = window.chat_panel.model_picker
    asked = server.paths().count("/v1/models")
    server.script("/v1/models", Reply(hold_before_headers=True))
    picker.activated.emit(1)
    qtbot.waitUntil(lambda: server.paths().count("/v1/models") > asked, timeout=WAIT_MS)

    # The server says nothing (it would for 30 s), and the engine thread still serves the chats.
    with qtbot.waitSignal(window.client.chatsListed, timeout=WAIT_MS) as listed:
        window.client.new_chat()
    newest = listed.args[0][0]
    assert newest.model and "SmolLM2" in newest.model  # on the local model, still in use
    with qtbot.waitSignal(window.client.errorOccurred, timeout=WAIT_MS) as failed:
        server.release()  # it hangs up without an answer
    assert failed.args[0].endswith("Still using SmolLM2-135M-Instruct.Q4_1.")
    assert window.status.model_label.text().startswith("SmolLM2")
