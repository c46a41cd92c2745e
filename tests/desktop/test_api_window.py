"""The API switch in the real window: requests answered on the engine thread while the chat
stays usable, a chat message sent meanwhile answered at once (the API's reply paused), and its
KV cache intact."""

from __future__ import annotations

import socket
import threading
from typing import Any

import openai
import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.settings.number_field import SpecSpinBox
from engine.api.jobs import JobRecord
from tests.desktop.conftest import MAX_STALL_MS, WindowFactory, longest_stall
from tests.desktop.test_chat_window import REPLY_TIMEOUT_MS, _type_and_send

SERVER_TIMEOUT_MS = 10_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def switch_on(qtbot: QtBot, window: MainWindow, port: int) -> None:
    panel = window.api_panel
    window.settings_dock.show()
    window.settings_panel.tabs.setCurrentWidget(panel)
    panel.port.setValue(port)
    panel.switch.click()
    qtbot.waitUntil(lambda: window.client.api.state.running or bool(window.client.api.state.error),
                    timeout=SERVER_TIMEOUT_MS)


def story_request(qtbot: QtBot, window: MainWindow, **options: Any
                  ) -> tuple[threading.Thread, list[openai.APIStatusError]]:
    """The API switched on, and a thread (not started) asking it for a 300-token story; the
    errors its client hears."""
    switch_on(qtbot, window, free_port())
    state = window.client.api.state
    failures: list[openai.APIStatusError] = []

    def ask() -> None:
        # Closed when it returns: a kept-alive socket left to the garbage collector is reported
        # as unclosed in whichever test collects it.
        with openai.OpenAI(base_url=state.url, api_key=state.settings.token or "",
                           max_retries=0) as api:
            try:
                api.chat.completions.create(
                    model=state.model or "",
                    messages=[{"role": "user", "content": "Write a story."}],
                    max_tokens=300, extra_body={"ignore_eos": True}, **options)
            except openai.APIStatusError as error:
                failures.append(error)

    return threading.Thread(target=ask), failures


def reload_and_hear_why(qtbot: QtBot, window: MainWindow, request: threading.Thread,
                        failures: list[openai.APIStatusError]) -> None:
    """Loading a model ends the request at once, and its client hears why."""
    client = window.client
    loaded = client.worker.runtime.loaded
    assert loaded is not None
    with qtbot.waitSignal(client.modelLoaded, timeout=REPLY_TIMEOUT_MS):
        client.load_model(str(loaded.path))
    request.join(30)
    assert failures and failures[0].status_code == 503
    assert "the model changed" in failures[0].message


def test_the_switch_serves_requests_between_chat_turns(qtbot: QtBot,
                                                       open_window: WindowFactory) -> None:
    window = open_window()
    client = window.client
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "Name three colours.")

    assert not window.status.api_label.isVisible()  # off by default: nothing listens
    switch_on(qtbot, window, free_port())
    state = client.api.state
    assert state.running and state.error is None, state.error
    assert state.settings.token and state.settings.token.startswith("hearth-")
    assert window.api_panel.url.text() == state.url
    assert window.status.api_label.text() == f"API on · 127.0.0.1:{state.settings.port}"

    # The GUI thread's timer keeps ticking while the engine thread answers the request.
    with longest_stall() as stall:
        api = openai.OpenAI(base_url=state.url, api_key=state.settings.token, max_retries=0,
                            timeout=120)
        answers: list[Any] = []
        request = threading.Thread(target=lambda: answers.append(api.chat.completions.create(
            model=state.model or "", messages=[{"role": "user", "content": "Write a poem."}],
            max_tokens=300, seed=1, extra_body={"ignore_eos": True})))
        with qtbot.waitSignal(client.api.requestStarted, timeout=REPLY_TIMEOUT_MS) as started:
            request.start()
        assert started.args[0] == "API: answering a request from 127.0.0.1…"
        assert window.status.api_label.text() == started.args[0]

        # A message sent now pauses the request and is answered at once, alone: the
        # request's 300 tokens are written after it.
        with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
            with qtbot.waitSignal(client.api.requestStarted,
                                  timeout=REPLY_TIMEOUT_MS) as paused:
                _type_and_send(qtbot, window, "And three animals?")
            assert paused.args[0] == "API: paused while your message is answered"
            assert window.status.api_label.text() == paused.args[0]
            assert not window.chat_panel.banner.text().startswith("Waiting for the API")
        assert not answers and request.is_alive()
        qtbot.waitUntil(lambda: window.status.api_label.text() == started.args[0],
                        timeout=REPLY_TIMEOUT_MS)  # it goes on after the reply
        request.join(60)
        api.close()
    assert answers and answers[0].choices[0].finish_reason == "length"
    assert answers[0].usage.completion_tokens == 300
    done = finished.args[2]
    # The chat's cache came back after the API's turn: only the new message was read.
    assert done.evaluated_tokens < 30 < done.prompt_tokens
    assert finished.args[1].content.strip()
    # Through the API's 300 tokens and the chat's reply the window never froze.
    assert stall() < MAX_STALL_MS
    qtbot.waitUntil(lambda: window.status.api_label.text().startswith("API on"),
                    timeout=REPLY_TIMEOUT_MS)

    with qtbot.waitSignal(client.api.stateChanged, timeout=SERVER_TIMEOUT_MS):
        window.api_panel.switch.click()
    assert not client.api.state.running
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", state.settings.port)) != 0  # the port is free


def test_a_waiting_message_can_be_stopped_and_a_model_change_ends_the_request(qtbot: QtBot,
                                                      open_window: WindowFactory) -> None:
    window = open_window()
    client = window.client
    # Two choices share their prompt's cells in the cache: this request cannot pause.
    request, failures = story_request(qtbot, window, n=2)
    with qtbot.waitSignal(client.api.requestStarted, timeout=REPLY_TIMEOUT_MS):
        request.start()
    _type_and_send(qtbot, window, "Are you there?")
    # Given back before the API's 300 tokens are written, however busy the machine: the bound
    # is the request still running, not a number of seconds.
    with qtbot.waitSignal(client.turnRefused, timeout=REPLY_TIMEOUT_MS) as refused:
        window.chat_panel.stop()
    assert request.is_alive()
    assert refused.args[3] == "Stopped before the reply began."
    assert window.chat_panel.composer.toPlainText() == "Are you there?"
    assert window.chat_panel.send_button.text() == "Send"

    reload_and_hear_why(qtbot, window, request, failures)


def test_a_model_change_ends_a_paused_request_and_its_client_hears_why(
    qtbot: QtBot, open_window: WindowFactory,
) -> None:
    window = open_window()
    client = window.client
    request, failures = story_request(qtbot, window)
    with qtbot.waitSignal(client.api.requestStarted, timeout=REPLY_TIMEOUT_MS):
        request.start()
    with qtbot.waitSignal(client.api.requestStarted, timeout=REPLY_TIMEOUT_MS) as paused:
        _type_and_send(qtbot, window, "Tell me everything about the sea.")
    assert paused.args[0] == "API: paused while your message is answered"

    reload_and_hear_why(qtbot, window, request, failures)
    assert window.status.api_label.text().startswith("API on")


def test_a_port_in_use_is_shown_and_a_network_address_asks_first(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    panel = window.api_panel
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        switch_on(qtbot, window, taken.getsockname()[1])
        state = window.client.api.state
        assert not state.running and "already in use" in (state.error or "")
        assert panel.error.isVisible() and "already in use" in panel.error.text()
        assert window.status.api_label.text() == "API off: could not start"

    asked: list[str] = []

    def refuse(host: str) -> bool:
        asked.append(host)
        return False

    panel.confirm_network = refuse  # type: ignore[method-assign]
    panel.host.setCurrentText("0.0.0.0")
    panel.apply_button.click()
    assert asked == ["0.0.0.0"]
    assert panel.host.currentText() == "127.0.0.1"  # refused: nothing changed
    assert not window.client.api.state.running

    panel.host.setCurrentText("not an address")
    panel.apply_button.click()
    assert panel.error.text() == "Must be an address such as 127.0.0.1."
    with qtbot.waitSignal(window.client.api.stateChanged, timeout=SERVER_TIMEOUT_MS):
        panel.switch.click()  # off works whatever is typed
    assert not window.client.api.state.settings.enabled
    assert not panel.switch.isChecked()


def test_the_switch_keeps_unapplied_edits_on_the_other_tabs(qtbot: QtBot,
                                                            open_window: WindowFactory) -> None:
    window = open_window()
    defaults = window.settings_panel.findChild(QWidget, "defaultsTab")
    assert defaults is not None
    temperature = next(box for box in defaults.findChildren(SpecSpinBox)
                       if box.accessibleName() == "Temperature value")
    temperature.setValue(0.3)  # chosen, not applied

    switch_on(qtbot, window, free_port())
    assert window.client.api.state.running
    # The state turning it off is sent after turning it on was saved: a refill of the other
    # tabs caused by that save has reached the window by then.
    with qtbot.waitSignal(window.client.api.stateChanged, timeout=SERVER_TIMEOUT_MS):
        window.api_panel.switch.click()
    assert not window.client.api.state.running
    assert temperature.text() == "0.3"


def test_four_requests_that_wait_together_are_answered_together_in_the_window(
    qtbot: QtBot, open_window: WindowFactory, request: pytest.FixtureRequest
) -> None:
    window = open_window()
    client = window.client
    switch_on(qtbot, window, free_port())
    state = client.api.state
    api = openai.OpenAI(base_url=state.url, api_key=state.settings.token or "", max_retries=0,
                        timeout=120)
    request.addfinalizer(api.close)
    answers: dict[str, Any] = {}
    ended: list[JobRecord] = []
    client.api.requestEnded.connect(ended.append)

    def ask(key: str, text: str, **options: Any) -> None:
        answers[key] = api.chat.completions.create(
            model=state.model or "", messages=[{"role": "user", "content": text}], **options)

    # A long request holds the model (a seed keeps it alone) while four others arrive.
    first = threading.Thread(target=ask, args=("long", "Tell me a long story."),
                             kwargs={"max_tokens": 160, "seed": 1,
                                     "extra_body": {"ignore_eos": True}})
    questions = ["What is the capital of France?", "Name three fruits.", "Say hello.",
                 "What colour is the sky?"]
    others = [threading.Thread(target=ask, args=(str(i), q), kwargs={"max_tokens": 24})
              for i, q in enumerate(questions)]
    with longest_stall() as stall:
        with qtbot.waitSignal(client.api.requestStarted, timeout=REPLY_TIMEOUT_MS):
            first.start()
        for thread in others:
            thread.start()
        qtbot.waitUntil(lambda: client.api.host.waiting == len(questions),
                        timeout=REPLY_TIMEOUT_MS)
        with qtbot.waitSignal(client.api.requestStarted, timeout=REPLY_TIMEOUT_MS) as together:
            pass
        assert together.args[0] == "API: answering 4 requests together…"
        assert window.status.api_label.text() == together.args[0]
        qtbot.waitUntil(lambda: len(answers) == 1 + len(questions), timeout=REPLY_TIMEOUT_MS)
    # Through the five requests the window's own timer never froze.
    assert stall() < MAX_STALL_MS
    for thread in [first, *others]:
        thread.join(60)
    assert answers["long"].usage.completion_tokens == 160
    for index in range(len(questions)):
        assert (answers[str(index)].choices[0].message.content or "").strip()
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=SERVER_TIMEOUT_MS)
    assert [record.batched for record in ended] == [1, 4]
    assert window.status.api_label.toolTip().endswith("answered together with 3 others")
