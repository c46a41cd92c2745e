"""Settings people understand: each number a slider and a spin box in step, explained under it and
in its tooltip, the rare ones folded under "More", and the preset shown changed when it is.

Driven through keys and clicks and found by accessible name, as in test_settings_panel.py.
"""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.settings.number_field import SliderScale, SpecSpinBox
from desktop.settings.panel import EVERYDAY_SAMPLING, SettingsPanel
from engine.settings import (
    BUILTIN_PRESETS,
    RUNTIME_FIELDS,
    SAMPLING_FIELDS,
    ChatSettings,
    FieldSpec,
)
from tests.desktop.conftest import SETTINGS_CONFIG as CONFIG
from tests.desktop.conftest import settings_tab as tab
from tests.desktop.test_settings_panel import click, find, number, retype

ADVANCED = [spec for spec in SAMPLING_FIELDS if spec.name not in EVERYDAY_SAMPLING]


def apply_chat(qtbot: QtBot, panel: SettingsPanel, chat: QWidget) -> object:
    with qtbot.waitSignal(panel.chatSettingsApplied) as blocker:
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    return blocker.args[0]


def pick(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Opens the list and presses Enter on `text`: the way to choose the current item again."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    view.setCurrentIndex(view.model().index(combo.findText(text), 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible())


def value_widget(parent: QWidget, spec: FieldSpec) -> QWidget:
    if spec.kind == "choice":
        return find(parent, QComboBox, spec.label)
    return number(parent, spec.label)


# -- slider and spin box -------------------------------------------------------------------------


def test_moving_the_slider_changes_the_spin_box_and_what_is_applied(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    slider = find(chat, QSlider, "Temperature slider")
    temperature = number(chat, "Temperature")
    assert slider.value() == 70  # 0.7 in steps of 0.01
    for _ in range(3):
        qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert temperature.text() == "0.73"
    assert apply_chat(qtbot, panel, chat) == {"sampling": {"temperature": 0.73}}

    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert temperature.text() == "2"
    assert apply_chat(qtbot, panel, chat) == {"sampling": {"temperature": 2.0}}


def test_a_wide_range_slides_on_a_logarithmic_scale(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    slider = find(chat, QSlider, "Max reply tokens slider")
    tokens = number(chat, "Max reply tokens")
    # The default 1024 sits two thirds along, not at 3% as on a linear 1-32768 slider.
    assert 600 < slider.value() < 700
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    assert tokens.text() == "1"
    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert tokens.text() == "32768"
    qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert apply_chat(qtbot, panel, chat) == {"sampling": {"max_tokens": int(tokens.text())}}


def test_typing_moves_the_slider(qtbot: QtBot, chat: QWidget) -> None:
    retype(qtbot, number(chat, "Top-p"), "0.5")
    assert find(chat, QSlider, "Top-p slider").value() == 50


def test_the_arrow_keys_step_the_value_within_the_range(qtbot: QtBot, chat: QWidget) -> None:
    top_p = number(chat, "Top-p")
    qtbot.keyClick(top_p, Qt.Key.Key_Up)
    assert top_p.text() == "0.96"
    for _ in range(10):
        qtbot.keyClick(top_p, Qt.Key.Key_Up)
    assert top_p.text() == "1"  # the spec's maximum, never past it


def test_typing_out_of_range_is_refused_with_the_specs_message(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    temperature = number(chat, "Temperature")
    retype(qtbot, temperature, "5")
    error = find(chat, QLabel, "Temperature error")
    assert error.isVisible()
    assert error.text() == "Temperature must be between 0 and 2"
    with qtbot.assertNotEmitted(panel.chatSettingsApplied):
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    # Still what was typed, not clamped to 2 behind the person's back.
    assert temperature.text() == "5"
    assert error.isVisible()

    # The arrow keys bring it back into range.
    qtbot.keyClick(temperature, Qt.Key.Key_Down)
    assert temperature.text() == "2"
    assert not error.isVisible()


def test_every_whole_number_field_refuses_a_fraction_like_the_engine(
    qtbot: QtBot, chat: QWidget
) -> None:
    retype(qtbot, number(chat, "Top-k"), "2.5")
    assert find(chat, QLabel, "Top-k error").text() == "Top-k must be a whole number"


@pytest.mark.parametrize("spec", [s for s in (*SAMPLING_FIELDS, *RUNTIME_FIELDS)
                                  if s.kind != "choice"], ids=lambda s: s.name)
def test_the_slider_covers_exactly_the_specs_range(spec: FieldSpec) -> None:
    scale = SliderScale.for_spec(spec)
    assert scale.value(0) == spec.minimum
    assert scale.value(scale.positions) == spec.maximum
    values = [scale.value(position) for position in range(scale.positions + 1)]
    assert values == sorted(values)
    assert all(spec.check(value if spec.kind == "float" else int(value)) is None
               for value in values)


# -- explanations --------------------------------------------------------------------------------


def test_every_field_has_an_explanation_and_a_tooltip(panel: SettingsPanel) -> None:
    defaults = tab(panel, "defaultsTab")
    for parent, specs in ((tab(panel, "chatTab"), SAMPLING_FIELDS),
                          (defaults, (*SAMPLING_FIELDS, *RUNTIME_FIELDS))):
        for spec in specs:
            explanation = find(parent, QLabel, f"{spec.label} explanation")
            assert explanation.text() == spec.help and spec.help.strip()
            assert spec.advice.strip(), spec.name
            widget = value_widget(parent, spec)
            assert spec.help in widget.toolTip() and spec.advice in widget.toolTip()
            assert widget.accessibleDescription() == f"{spec.help} {spec.advice}"
            if spec.kind != "choice" and spec.name != "seed":
                slider = find(parent, QSlider, f"{spec.label} slider")
                assert slider.toolTip() == widget.toolTip()


def test_shown_explanations_are_muted_and_shown_in_full(
    panel: SettingsPanel, chat: QWidget
) -> None:
    for spec in SAMPLING_FIELDS:
        if spec.name not in EVERYDAY_SAMPLING:
            continue
        explanation = find(chat, QLabel, f"{spec.label} explanation")
        assert explanation.isVisible()
        assert explanation.foregroundRole() == QPalette.ColorRole.PlaceholderText
        # Word-wrapped to the dock's width: all of it fits in the height it was given.
        assert explanation.height() >= explanation.heightForWidth(explanation.width())


# -- More ----------------------------------------------------------------------------------------


def test_advanced_fields_are_hidden_until_more_is_opened(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    more = find(chat, QToolButton, "More")
    assert not more.isChecked()
    assert more.arrowType() == Qt.ArrowType.RightArrow
    for spec in SAMPLING_FIELDS:
        shown = spec.name in EVERYDAY_SAMPLING
        assert value_widget(chat, spec).isVisible() == shown, spec.name

    more.setFocus()
    qtbot.keyClick(more, Qt.Key.Key_Space)
    assert more.isChecked()
    assert more.arrowType() == Qt.ArrowType.DownArrow
    assert all(value_widget(chat, spec).isVisible() for spec in SAMPLING_FIELDS)

    # Open it stays while the app runs: refilling the panel for another chat leaves it open.
    panel.show_chat(ChatSettings(sampling=BUILTIN_PRESETS["Creative"]), has_chat=True)
    assert all(value_widget(chat, spec).isVisible() for spec in ADVANCED)
    qtbot.keyClick(more, Qt.Key.Key_Space)
    assert not any(value_widget(chat, spec).isVisible() for spec in ADVANCED)


def test_a_refused_value_under_more_opens_it(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    more = find(chat, QToolButton, "More")
    click(qtbot, more)
    retype(qtbot, number(chat, "DRY base"), "9")
    click(qtbot, more)  # folded away with the mistake in it
    with qtbot.assertNotEmitted(panel.chatSettingsApplied):
        click(qtbot, find(chat, QPushButton, "Apply to this chat"))
    error = find(chat, QLabel, "DRY base error")
    assert more.isChecked()
    assert error.isVisible()
    assert error.text() == "DRY base must be between 1 and 4"


def test_runtime_settings_are_all_shown(panel: SettingsPanel) -> None:
    defaults = tab(panel, "defaultsTab")
    assert all(value_widget(defaults, spec).isVisible() for spec in RUNTIME_FIELDS)


# -- the preset ----------------------------------------------------------------------------------


# The combo's list is a popup window; offscreen, nothing can raise it or give it the keyboard.
@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)",
                           extend=True)
def test_a_change_marks_the_preset_changed_and_choosing_it_again_clears_the_mark(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    presets = find(chat, QComboBox, "Preset")
    temperature_mark = find(chat, QLabel, "Temperature changed")
    assert presets.currentText() == "Balanced"
    assert not temperature_mark.isVisible()

    slider = find(chat, QSlider, "Temperature slider")
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert presets.currentText() == "Balanced (changed)"
    assert temperature_mark.isVisible()
    assert temperature_mark.toolTip() == "Changed: Balanced uses 0.7."
    assert number(chat, "Temperature").accessibleDescription().startswith(
        "Changed: Balanced uses 0.7.")
    assert not find(chat, QLabel, "Top-k changed").isVisible()  # only the field that differs

    pick(qtbot, presets, "Balanced (changed)")
    assert presets.currentText() == "Balanced"
    assert not temperature_mark.isVisible()
    assert number(chat, "Temperature").text() == "0.7"
    assert apply_chat(qtbot, panel, chat) == {}


def test_a_chosen_preset_is_the_one_marked_changed(
    qtbot: QtBot, panel: SettingsPanel, chat: QWidget
) -> None:
    presets = find(chat, QComboBox, "Preset")
    presets.setFocus()
    qtbot.keyClicks(presets, "C")
    assert presets.currentText() == "Creative"
    retype(qtbot, number(chat, "Top-k"), "40")  # Balanced's top-k: still Creative, changed
    assert presets.currentText() == "Creative (changed)"
    assert find(chat, QLabel, "Top-k changed").isVisible()
    assert not find(chat, QLabel, "Temperature changed").isVisible()


def test_stored_settings_are_shown_against_the_nearest_preset(
    panel: SettingsPanel, chat: QWidget
) -> None:
    precise_but_longer = dataclasses.replace(BUILTIN_PRESETS["Precise"], max_tokens=2048)
    panel.show_chat(ChatSettings(sampling=precise_but_longer), has_chat=True)
    assert find(chat, QComboBox, "Preset").currentText() == "Precise (changed)"
    assert find(chat, QLabel, "Max reply tokens changed").isVisible()
    assert not find(chat, QLabel, "Temperature changed").isVisible()

    panel.show_chat(ChatSettings(sampling=BUILTIN_PRESETS["Creative"]), has_chat=True)
    assert find(chat, QComboBox, "Preset").currentText() == "Creative"
    assert not find(chat, QLabel, "Max reply tokens changed").isVisible()


def test_the_defaults_tab_marks_nothing(qtbot: QtBot, panel: SettingsPanel) -> None:
    defaults = tab(panel, "defaultsTab")
    retype(qtbot, number(defaults, "Temperature"), "1.2")
    assert not find(defaults, QLabel, "Temperature changed").isVisible()


# -- access --------------------------------------------------------------------------------------


def test_slider_and_spin_box_are_one_field_by_name(chat: QWidget) -> None:
    for spec in SAMPLING_FIELDS:
        if spec.kind == "choice" or spec.name == "seed":
            continue
        slider = find(chat, QSlider, f"{spec.label} slider")
        box = find(chat, SpecSpinBox, f"{spec.label} value")
        assert slider.accessibleDescription() == box.accessibleDescription()
        label = next(w for w in chat.findChildren(QLabel) if w.buddy() is box)
        assert label.text() == spec.label


def test_tab_goes_from_field_to_field_through_the_spin_boxes(chat: QWidget) -> None:
    """One stop per setting: the slider beside a spin box is the same field."""
    order: list[str] = []
    widget: QWidget | None = number(chat, "Temperature")
    while len(order) < 6:
        assert widget is not None
        widget = widget.nextInFocusChain()
        if (widget is not None and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and widget.isVisible() and widget.isEnabled()
                and not widget.objectName().startswith("qt_")):
            order.append(widget.accessibleName())
    # The seed's number is skipped while "random" is ticked, as Tab skips it.
    assert order == ["Top-k value", "Top-p value", "Min-p value", "Repeat penalty value",
                     "Seed random", "Max reply tokens value"]


def test_scrolling_over_a_field_does_not_change_it(chat: QWidget) -> None:
    box = number(chat, "Temperature")
    slider = find(chat, QSlider, "Temperature slider")
    for widget in (box, slider):
        centre = QPointF(widget.rect().center())
        event = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        widget.wheelEvent(event)
        assert not event.isAccepted()
    assert box.text() == "0.7"


@pytest.mark.parametrize("size", [(900, 600), (1280, 860)])
@pytest.mark.parametrize("squeezed", [False, True], ids=["as laid out", "dock at its narrowest"])
def test_nothing_is_cut_off_in_the_dock(
    qtbot: QtBot, size: tuple[int, int], squeezed: bool
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QPlainTextEdit(window))
    panel = SettingsPanel(window)
    dock = QDockWidget("Settings", window)
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    panel.show_config(CONFIG)
    panel.show_chat(CONFIG.chat_defaults, has_chat=True)
    for button in panel.findChildren(QToolButton):
        if button.accessibleName() == "More":
            button.setChecked(True)  # every field shown, the folded ones too
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    if squeezed:  # as far as a person can drag the splitter
        window.resizeDocks([dock], [1], Qt.Orientation.Horizontal)
        qtbot.waitUntil(lambda: dock.width() == dock.minimumSizeHint().width())
    for page_name in ("chatTab", "defaultsTab"):
        page = tab(panel, page_name)
        area = page.findChild(QScrollArea)
        assert area is not None
        viewport, content = area.viewport(), area.widget()
        assert content is not None

        def fitted(content: QWidget = content, viewport: QWidget = viewport) -> bool:
            return content.width() == viewport.width()

        qtbot.waitUntil(fitted)
        for widget in page.findChildren(QWidget):
            if not widget.isVisibleTo(page) or widget.objectName().startswith("qt_"):
                continue
            name = (page_name, type(widget).__name__, widget.accessibleName())
            if content.isAncestorOf(widget):
                right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
                assert right <= viewport.width(), name
            if isinstance(widget, QLabel | SpecSpinBox | QComboBox | QPushButton):
                assert widget.width() >= widget.minimumSizeHint().width(), name
