"""The settings panel and its number form, driven through the keyboard and mouse as a person would.

Widgets are found by accessible name, so these tests also check what a screen reader announces.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.settings.form import NumberFieldsForm
from desktop.settings.number_field import SpecSpinBox
from desktop.settings.panel import FIX_FIELDS, NO_CHAT_NOTE, SettingsPanel
from engine.config import AppConfig
from engine.settings import (
    BUILTIN_PRESETS,
    SAMPLING_FIELDS,
    ChatSettings,
    ContextPolicy,
    RuntimeSettings,
    SamplingSettings,
)
from tests.desktop.conftest import SETTINGS_CONFIG as CONFIG
from tests.desktop.conftest import SETTINGS_PRESET as MINE
from tests.desktop.conftest import settings_tab as tab

W = TypeVar("W", bound=QWidget)

NO_GPU = "This build of llama.cpp has no GPU backend"


def find(parent: QWidget, cls: type[W], name: str) -> W:
    matches = [w for w in parent.findChildren(cls) if w.accessibleName() == name]
    assert len(matches) == 1, f"{len(matches)} {cls.__name__} named {name!r}"
    return matches[0]


def number(parent: QWidget, label: str) -> SpecSpinBox:
    """A setting's spin box, named as a screen reader hears it beside its slider."""
    return find(parent, SpecSpinBox, f"{label} value")


def retype(qtbot: QtBot, edit: QAbstractSpinBox, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Delete)


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """Toggles a check box with the space bar (its row is wider than what a click hits)."""
    qtbot.keyClick(box, Qt.Key.Key_Space)


@pytest.fixture
def defaults(panel: SettingsPanel) -> QWidget:
    return tab(panel, "defaultsTab")


# -- this chat ------------------------------------------------------------------------------------


def test_out_of_range_value_is_shown_next_to_the_field_and_not_applied(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    retype(qtbot, number(chat, "Temperature"), "5")
    error = find(chat, QLabel, "Temperature error")
    assert error.isVisible()
    assert error.text() == "Temperature must be between 0 and 2"

    with qtbot.assertNotEmitted(panel.chatSettingsApplied):
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    assert error.isVisible()
    summary = find(chat, QLabel, "Chat settings problem")
    assert summary.isVisible()
    assert summary.text() == FIX_FIELDS


def test_text_that_is_not_a_number_is_refused(qtbot: QtBot, chat: QWidget) -> None:
    temperature = number(chat, "Temperature")
    retype(qtbot, temperature, "abc")  # letters never get in
    assert temperature.text() == "0.7"
    retype(qtbot, temperature, "-")  # the start of a number is not one yet
    error = find(chat, QLabel, "Temperature error")
    assert error.isVisible()
    assert error.text() == "Temperature must be a number"


def test_fixing_the_field_clears_its_error_and_the_summary(
    qtbot: QtBot, chat: QWidget
) -> None:
    temperature = number(chat, "Temperature")
    retype(qtbot, temperature, "5")
    click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    retype(qtbot, temperature, "0.5")
    assert not find(chat, QLabel, "Temperature error").isVisible()
    assert not find(chat, QLabel, "Chat settings problem").isVisible()


def test_a_valid_change_applies_only_that_override(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    retype(qtbot, number(chat, "Temperature"), "0.9")
    with qtbot.waitSignal(panel.chatSettingsApplied) as blocker:
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    assert blocker.args == [{"sampling": {"temperature": 0.9}}]


def test_prompt_and_policy_changes_are_overrides(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    prompt = find(chat, QPlainTextEdit, "System prompt")
    prompt.selectAll()
    qtbot.keyClicks(prompt, "Answer in French.")
    policy = find(chat, QComboBox, "When the chat outgrows the context")
    policy.setCurrentIndex(policy.findData(ContextPolicy.STOP.value))
    with qtbot.waitSignal(panel.chatSettingsApplied) as blocker:
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    assert blocker.args == [{"system_prompt": "Answer in French.", "context_policy": "stop"}]


def test_reset_applies_no_overrides_and_refills_the_defaults(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    panel.show_chat(ChatSettings(sampling=SamplingSettings(temperature=1.5)), has_chat=True)
    temperature = number(chat, "Temperature")
    assert temperature.text() == "1.5"
    with qtbot.waitSignal(panel.chatSettingsApplied) as blocker:
        click(qtbot, find(chat, QPushButton, "Reset to defaults"))
    assert blocker.args == [{}]
    assert temperature.text() == "0.7"


def test_choosing_a_preset_fills_the_sampling_fields(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    presets = find(chat, QComboBox, "Preset")
    presets.setFocus()
    qtbot.keyClicks(presets, "P")  # the keyboard way to pick "Precise"
    assert presets.currentText() == "Precise"
    assert number(chat, "Temperature").text() == "0.2"
    assert number(chat, "Top-k").text() == "20"

    with qtbot.waitSignal(panel.chatSettingsApplied) as blocker:
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    precise = ChatSettings(sampling=BUILTIN_PRESETS["Precise"])
    assert blocker.args == [precise.overrides_from(CONFIG.chat_defaults)]


def test_editing_a_preset_value_shows_it_changed(qtbot: QtBot, chat: QWidget) -> None:
    presets = find(chat, QComboBox, "Preset")
    assert presets.currentText() == "Balanced"  # the defaults are the Balanced preset
    retype(qtbot, number(chat, "Temperature"), "0.3")
    assert presets.currentText() == "Balanced (changed)"
    retype(qtbot, number(chat, "Temperature"), "0.7")
    assert presets.currentText() == "Balanced"


def test_user_presets_are_listed_after_the_built_in_ones(chat: QWidget) -> None:
    presets = find(chat, QComboBox, "Preset")
    names = [presets.itemText(i) for i in range(presets.count())]
    assert names == [*BUILTIN_PRESETS, "Mine"]


def test_a_random_seed_is_ticked_and_a_number_is_kept(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    random = find(chat, QCheckBox, "Seed random")
    seed = number(chat, "Seed")
    assert random.isChecked()
    assert not seed.isEnabled()
    assert seed.text() == ""  # no number that could be read as the seed
    tick(qtbot, random)
    assert seed.isEnabled()
    assert seed.text() == "0"
    retype(qtbot, seed, "12")
    with qtbot.waitSignal(panel.chatSettingsApplied) as blocker:
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    assert blocker.args == [{"sampling": {"seed": 12}}]

    panel.show_chat(ChatSettings(sampling=SamplingSettings(seed=12)), has_chat=True)
    assert not random.isChecked()
    assert seed.text() == "12"
    tick(qtbot, random)
    assert not seed.isEnabled()
    assert not find(chat, QLabel, "Seed error").isVisible()
    with qtbot.waitSignal(panel.chatSettingsApplied) as blocker:
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    assert blocker.args == [{}]  # None is the default: a random seed


def test_save_as_preset_emits_the_name_and_sampling(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *_args: (" Focused ", True))
    retype(qtbot, number(chat, "Temperature"), "0.3")
    with qtbot.waitSignal(panel.presetSaved) as blocker:
        click(qtbot, find(chat, QPushButton, "Save as preset"))
    saved = SamplingSettings(temperature=0.3)
    assert blocker.args == ["Focused", saved]

    panel.show_config(dataclasses.replace(CONFIG, user_presets={"Mine": MINE, "Focused": saved}))
    assert find(chat, QComboBox, "Preset").currentText() == "Focused"


def test_a_built_in_preset_name_is_refused(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *_args: ("Precise", True))
    with qtbot.assertNotEmitted(panel.presetSaved):
        click(qtbot, find(chat, QPushButton, "Save as preset"))
    assert "built-in" in find(chat, QLabel, "Chat settings problem").text()


def test_without_a_chat_the_tab_is_disabled_with_a_note(
    panel: SettingsPanel, chat: QWidget
) -> None:
    panel.show_chat(CONFIG.chat_defaults, has_chat=False)
    note = find(chat, QLabel, "No chat note")
    assert note.isVisible()
    assert note.text() == NO_CHAT_NOTE
    assert not find(chat, QPushButton, "Apply to this chat").isEnabled()
    assert not number(chat, "Temperature").isEnabled()

    panel.show_chat(CONFIG.chat_defaults, has_chat=True)
    assert not note.isVisible()
    assert find(chat, QPushButton, "Apply to this chat").isEnabled()


# -- defaults -------------------------------------------------------------------------------------


def test_gpu_layers_disabled_shows_why(
    qtbot: QtBot, panel: SettingsPanel, defaults: QWidget
) -> None:
    panel.set_gpu_available(NO_GPU)
    layers = number(defaults, "GPU layers")
    note = find(defaults, QLabel, "GPU layers note")
    assert not layers.isEnabled()
    assert note.isVisible()
    assert note.text() == NO_GPU
    assert layers.accessibleDescription() == NO_GPU
    assert not find(defaults, QCheckBox, "GPU layers as many as fit").isEnabled()

    panel.set_gpu_available(None)
    assert not note.isVisible()
    assert not layers.isEnabled()  # "as many as fit", the default, is still ticked
    tick(qtbot, find(defaults, QCheckBox, "GPU layers as many as fit"))
    assert layers.isEnabled()


def test_apply_defaults_emits_a_config_with_the_new_context_length(
    qtbot: QtBot, panel: SettingsPanel, defaults: QWidget
) -> None:
    retype(qtbot, number(defaults, "Context length"), "8192")
    retype(qtbot, number(defaults, "Temperature"), "0.5")
    with qtbot.waitSignal(panel.configApplied) as blocker:
        click(qtbot, find(defaults, QPushButton, "Apply defaults"))
    (config,) = blocker.args
    assert config == dataclasses.replace(
        CONFIG,
        runtime=RuntimeSettings(n_ctx=8192),
        chat_defaults=ChatSettings(sampling=SamplingSettings(temperature=0.5)),
    )
    assert config.user_presets == {"Mine": MINE}


def test_a_context_length_out_of_range_is_refused(
    qtbot: QtBot, panel: SettingsPanel, defaults: QWidget
) -> None:
    retype(qtbot, number(defaults, "Context length"), "100")
    error = find(defaults, QLabel, "Context length error")
    assert error.text() == "Context length must be between 256 and 131072"
    with qtbot.assertNotEmitted(panel.configApplied):
        click(qtbot, find(defaults, QPushButton, "Apply defaults"))
    assert error.isVisible()
    assert find(defaults, QLabel, "Defaults problem").text() == FIX_FIELDS


def test_automatic_threads_are_ticked(
    qtbot: QtBot, panel: SettingsPanel, defaults: QWidget
) -> None:
    panel.show_config(dataclasses.replace(CONFIG, runtime=RuntimeSettings(n_threads=4)))
    threads = number(defaults, "CPU threads")
    automatic = find(defaults, QCheckBox, "CPU threads automatic")
    assert threads.text() == "4"
    assert not automatic.isChecked()
    tick(qtbot, automatic)
    assert not threads.isEnabled()
    with qtbot.waitSignal(panel.configApplied) as blocker:
        click(qtbot, find(defaults, QPushButton, "Apply defaults"))
    assert blocker.args[0].runtime.n_threads is None


def test_saving_another_section_keeps_unapplied_edits_and_new_defaults_are_shown(
    qtbot: QtBot, panel: SettingsPanel, defaults: QWidget
) -> None:
    temperature = number(defaults, "Temperature")
    retype(qtbot, temperature, "0.3")  # typed, not applied
    panel.show_config(dataclasses.replace(CONFIG, default_model="other.gguf"))
    assert temperature.text() == "0.3"
    applied = dataclasses.replace(CONFIG.chat_defaults, sampling=dataclasses.replace(
        CONFIG.chat_defaults.sampling, temperature=1.5))
    panel.show_config(dataclasses.replace(CONFIG, chat_defaults=applied))
    assert temperature.text() == "1.5"


def test_a_first_run_shows_the_app_defaults_not_the_lowest_values(qtbot: QtBot) -> None:
    # A fresh install's settings are AppConfig() itself: the tab must still be filled with them,
    # or "Apply defaults" would save a 256-token context and one-token replies.
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    widget.show_config(AppConfig())
    defaults = tab(widget, "defaultsTab")
    assert number(defaults, "Context length").text() == "4096"
    assert number(defaults, "Max reply tokens").text() == str(SamplingSettings().max_tokens)
    assert find(defaults, QCheckBox, "CPU threads automatic").isChecked()
    with qtbot.waitSignal(widget.configApplied) as blocker:
        click(qtbot, find(defaults, QPushButton, "Apply defaults"))
    assert blocker.args[0] == AppConfig()


# -- the form on its own --------------------------------------------------------------------------


def test_form_returns_refused_fields_only_as_errors(qtbot: QtBot) -> None:
    form = NumberFieldsForm(SAMPLING_FIELDS)
    qtbot.addWidget(form)
    form.set_values(dataclasses.asdict(SamplingSettings()))
    retype(qtbot, number(form, "Top-k"), "2.5")
    values, errors = form.values()
    assert "top_k" not in values
    assert errors == {"top_k": "Top-k must be a whole number"}
    assert values["seed"] is None
    assert values["mirostat_mode"] == 0


def test_form_signals_edits_by_the_person_only(qtbot: QtBot) -> None:
    form = NumberFieldsForm(SAMPLING_FIELDS)
    qtbot.addWidget(form)
    with qtbot.assertNotEmitted(form.edited):
        form.set_values({"temperature": 1.0, "mirostat_mode": 2})
    assert number(form, "Temperature").text() == "1"
    with qtbot.waitSignal(form.edited):
        qtbot.keyClicks(number(form, "Max reply tokens"), "7")
    with qtbot.waitSignal(form.edited):
        find(form, QComboBox, "Mirostat").setCurrentIndex(0)


def test_every_control_has_an_accessible_name(panel: SettingsPanel) -> None:
    # Combo popups are windows of their own and Qt-named widgets (the tab bar) are Qt's concern.
    controls = [
        widget for widget in panel.findChildren(QWidget)
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        and widget.window() is panel and not widget.objectName()
    ]
    assert len(controls) > len(SAMPLING_FIELDS)
    assert [w for w in controls if not w.accessibleName()] == []
