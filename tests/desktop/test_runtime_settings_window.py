"""Runtime settings changed in the window: the model is loaded again with them, or, when the
load fails, the previous ones stay and the window says so."""

from __future__ import annotations

import dataclasses
from typing import Any

from pytestqt.qtbot import QtBot

from engine.config import AppConfig
from tests.desktop.conftest import WindowFactory
from tests.desktop.test_chat_window import REPLY_TIMEOUT_MS


def _with_runtime(config: AppConfig, **changes: Any) -> AppConfig:
    return dataclasses.replace(config, runtime=dataclasses.replace(config.runtime, **changes))


def test_an_8_bit_context_cache_reloads_the_model_and_the_memory_shown_follows(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    client = window.client
    tab = window.models_tab
    before = tab.machine_label.text()
    assert "bits" not in before
    with qtbot.waitSignal(client.modelLoaded, timeout=REPLY_TIMEOUT_MS) as loaded:
        client.save_config(_with_runtime(client.config, kv_cache_bits=8))
    assert loaded.args[0].settings.kv_cache_bits == 8
    qtbot.waitUntil(lambda: client.config.runtime.kv_cache_bits == 8, timeout=REPLY_TIMEOUT_MS)
    assert tab.machine_label.text().endswith("the cache at 8 bits")

    chat_id = window.chat_panel.chat_id
    assert chat_id is not None
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        client.send(chat_id, "Name a colour.")
    assert finished.args[1].content.strip()


def test_runtime_settings_the_model_cannot_load_with_are_not_kept(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    client = window.client
    config = client.config
    errors: list[str] = []
    client.errorOccurred.connect(errors.append)
    # 8M tokens of context: more memory than this machine has, refused before llama.cpp.
    with qtbot.waitSignal(client.modelLoaded, timeout=REPLY_TIMEOUT_MS) as kept:
        client.save_config(_with_runtime(config, n_ctx=1 << 23))
    assert kept.args[0].settings == config.runtime  # the model in use stays as it was
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=REPLY_TIMEOUT_MS)
    assert "Still using" in errors[0]
    assert errors[1] == ("The runtime settings were not applied; the previous ones stay in "
                         "use.")
    assert client.config.runtime == config.runtime
