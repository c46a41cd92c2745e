"""A form of numeric settings built from their `FieldSpec`s and validated as the person types.

Each number is a slider and a spin box kept in sync, with its spec's one-line explanation under it
and, in its tooltip, when to change it. The specs own the ranges and the messages, so the form
refuses exactly what the engine would. Fields outside the `everyday` set fold under "More".
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.settings.number_field import SliderScale, SpecSlider, SpecSpinBox, format_number
from desktop.settings.texts import setting_text
from engine.settings import FieldSpec
from engine.text import Text

Value = int | float | None

# An empty optional field is not "nothing": it means one of these, so its check box says so.
_EMPTY_MEANS = {
    "seed": QT_TRANSLATE_NOOP("settings.form", "random"),
    "n_threads": QT_TRANSLATE_NOOP("settings.form", "automatic"),
    "n_gpu_layers": QT_TRANSLATE_NOOP("settings.form", "as many as fit"),
}
# No slider for the seed: it names a starting point, there is no "more" or "less" of it.
_NO_SLIDER = frozenset({"seed"})
CHANGED_MARK = "●"
MORE = QT_TRANSLATE_NOOP("settings.form", "More")


class ErrorLabel(QLabel):
    """A word-wrapped label in a red chosen against the current palette, light or dark."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self._recolour()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # A theme switch changes the window colour; one fixed red is unreadable on one of them.
        if event.type() == QEvent.Type.PaletteChange:
            self._recolour()

    def _recolour(self) -> None:
        palette = self.palette()
        dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
        palette.setColor(QPalette.ColorRole.WindowText, QColor("#ff8a80" if dark else "#c62828"))
        self.setPalette(palette)  # no-op once the colour is set, so this does not recurse


@dataclass(frozen=True)
class _Field:
    spec: FieldSpec
    label: QLabel
    mark: QLabel  # shown while the value differs from the reference (the chosen preset)
    input: SpecSpinBox | QComboBox
    slider: SpecSlider | None
    empty: QCheckBox | None  # "random", "automatic": the None of an optional field
    explanation: QLabel
    error: ErrorLabel
    note: QLabel


class NumberFieldsForm(QWidget):
    """One labelled slider and spin box (or choice) per spec, each with its explanation, error
    and an optional "why disabled" note; fields not in `everyday` fold under a "More" toggle."""

    edited = Signal()

    def __init__(
        self,
        specs: tuple[FieldSpec, ...],
        parent: QWidget | None = None,
        everyday: Collection[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._fields: dict[str, _Field] = {}
        self._filling = False
        self._syncing = False
        self._disabled: dict[str, str | None] = {}  # name: the reason, when disabled
        self._reference: Mapping[str, Value] | None = None
        self._reference_name = ""
        self._texts: dict[str, str] = {}  # each spin box's text as last handled

        shown = [s for s in specs if everyday is None or s.name in everyday]
        folded = [s for s in specs if everyday is not None and s.name not in everyday]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Widgets are created in reading order: Qt's default Tab order is creation order.
        everyday_box = QWidget(self)
        self._add_fields(everyday_box, shown)
        layout.addWidget(everyday_box)
        self.more: QToolButton | None = None
        self._folded: QWidget | None = None
        if folded:
            self.more = QToolButton(self)
            self.more.setText(translated("settings.form", MORE))
            self.more.setAccessibleName(translated("settings.form", MORE))
            names = ", ".join(setting_text(s.label) for s in folded)
            # Rich text, as in every tooltip here: Qt wraps it, a plain one is one long line.
            self.more.setToolTip(self.tr("<p>Show the less common settings: {names}.</p>")
                                 .format(names=html.escape(names)))
            self.more.setCheckable(True)
            self.more.setAutoRaise(True)
            self.more.setArrowType(Qt.ArrowType.RightArrow)
            self.more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self.more.toggled.connect(self._fold)
            layout.addWidget(self.more)
            self._folded = QWidget(self)
            self._add_fields(self._folded, folded)
            layout.addWidget(self._folded)
            # Folded at first; then as the person left it for as long as the form lives (the
            # app's run: the panel is built once per window and only refilled).
            self._folded.hide()
        self._align_inputs()

    # -- building ---------------------------------------------------------------------------------

    def _add_fields(self, parent: QWidget, specs: list[FieldSpec]) -> None:
        section = QVBoxLayout(parent)
        section.setContentsMargins(0, 0, 0, 0)
        for index, spec in enumerate(specs):
            if index:
                section.addSpacing(section.spacing())  # fields apart, a field's lines together
            self._fields[spec.name] = self._add_field(parent, section, spec)

    def _add_field(self, parent: QWidget, section: QVBoxLayout, spec: FieldSpec) -> _Field:
        """The label and the value on one line, the slider under them at the full width of the
        dock (a narrow dock left a slider beside them no room to be dragged), then the
        explanation, and the error and the note when there are any."""
        title = setting_text(spec.label)
        label = QLabel(title, parent)
        mark = QLabel(CHANGED_MARK, parent)
        mark.setForegroundRole(QPalette.ColorRole.Highlight)
        mark.setAccessibleName(self.tr("{label} changed").format(label=title))
        mark.hide()

        field_input: SpecSpinBox | QComboBox
        slider: SpecSlider | None = None
        empty: QCheckBox | None = None
        if spec.kind == "choice":
            field_input = QComboBox(parent)
            for choice in spec.choices:
                field_input.addItem(str(choice), choice)
            field_input.currentIndexChanged.connect(partial(self._on_changed, spec.name))
            field_input.setAccessibleName(title)
        else:
            scale = SliderScale.for_spec(spec)
            # Created in the order they are shown, which is Tab's order: "[x] Random [ ]" on one
            # line for a seed, the box and then "[x] Automatic [---o---]" under it otherwise.
            if spec.optional and spec.name in _NO_SLIDER:
                empty = self._empty_box(parent, spec)
            field_input = SpecSpinBox(spec, scale, parent)
            field_input.setAccessibleName(self.tr("{label} value").format(label=title))
            # A value in range to start from when "random" or "automatic" is unticked.
            field_input.setValue(min(max(0.0, spec.minimum), spec.maximum))
            # Typing reaches the form through the line edit (the box is silent while the text is
            # not yet a number); arrows, the slider and filling through the box (they change
            # the line edit with its signals blocked).
            field_input.lineEdit().textChanged.connect(partial(self._on_text, spec.name))
            field_input.textChanged.connect(partial(self._on_text, spec.name))
            if spec.optional and spec.name not in _NO_SLIDER:
                empty = self._empty_box(parent, spec)
            if spec.name not in _NO_SLIDER:
                slider = SpecSlider(scale, parent)
                slider.setAccessibleName(self.tr("{label} slider").format(label=title))
                slider.valueChanged.connect(partial(self._on_slider, spec.name))
        label.setBuddy(field_input)

        explanation = QLabel(setting_text(spec.help), parent)
        explanation.setWordWrap(True)
        explanation.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        explanation.setAccessibleName(self.tr("{label} explanation").format(label=title))

        error = ErrorLabel(parent)
        error.setAccessibleName(self.tr("{label} error").format(label=title))
        error.hide()

        note = QLabel(parent)
        note.setWordWrap(True)
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        note.setAccessibleName(self.tr("{label} note").format(label=title))
        note.hide()

        line = QHBoxLayout()
        line.addWidget(label)
        line.addWidget(mark)
        line.addStretch(1)
        if empty is not None and slider is None:
            line.addWidget(empty)  # "Seed ... [x] Random [   ]"
        line.addWidget(field_input)
        section.addLayout(line)
        if slider is not None:
            slide = QHBoxLayout()
            if empty is not None:
                slide.addWidget(empty)  # "[x] Automatic [---o---]": the line above stays short
            slide.addWidget(slider, 1)
            section.addLayout(slide)
        for widget in (explanation, error, note):
            section.addWidget(widget)
        field = _Field(spec, label, mark, field_input, slider, empty, explanation, error, note)
        self._describe(field)
        return field

    def _empty_box(self, parent: QWidget, spec: FieldSpec) -> QCheckBox:
        """The check box for an optional field's None: "Random", "Automatic"."""
        means = translated("settings.form", _EMPTY_MEANS).get(spec.name, "default")
        box = QCheckBox(means.capitalize(), parent)
        box.setAccessibleName(f"{setting_text(spec.label)} {means}")
        box.toggled.connect(partial(self._on_empty_toggled, spec.name))
        return box

    def _align_inputs(self) -> None:
        """One width for every value box, so they line up at the right as a column; a seed's
        ten digits get their own."""
        boxes = [f.input for f in self._fields.values() if f.spec.name not in _NO_SLIDER]
        width = max((box.sizeHint().width() for box in boxes), default=0)
        for box in boxes:
            box.setFixedWidth(width)

    # -- public -----------------------------------------------------------------------------------

    def set_values(self, values: Mapping[str, Value]) -> None:
        """Fills the named fields; filling is not an edit, so `edited` stays quiet."""
        self._filling = True
        try:
            for name, value in values.items():
                field = self._fields[name]
                if isinstance(field.input, QComboBox):
                    field.input.setCurrentIndex(field.input.findData(value))
                else:
                    if field.empty is not None:
                        field.empty.setChecked(value is None)
                    if value is not None:
                        field.input.setValue(float(value))
                        field.input.lineEdit().setCursorPosition(0)
                    self._enable(field)
                # Setting the value it already has emits nothing, yet an old error must clear.
                self._check(field)
        finally:
            self._filling = False

    def values(self) -> tuple[dict[str, Value], dict[str, str]]:
        """(valid values, errors) by field name; a refused field appears only in the errors."""
        values: dict[str, Value] = {}
        errors: dict[str, str] = {}
        for name, field in self._fields.items():
            value, error = self._check(field)
            if error is None:
                values[name] = value
            else:
                errors[name] = error
        return values, errors

    def set_reference(self, values: Mapping[str, Value] | None, name: str = "") -> None:
        """Marks each field whose value differs from `values` (a preset called `name`)."""
        self._reference, self._reference_name = values, name
        for field in self._fields.values():
            self._check(field)
            self._describe(field)  # the preset's value in the mark's words may have changed

    def reveal_errors(self) -> None:
        """Unfolds "More" when a field folded under it refuses its value."""
        if self.more is not None and self._folded is not None and any(
            not field.error.isHidden() and self._folded.isAncestorOf(field.error)
            for field in self._fields.values()
        ):
            self.more.setChecked(True)

    def attach(self, name: str, widget: QWidget) -> None:
        """Shows `widget` under a field's explanation (and its error and note), as part of it."""
        field = self._fields[name]
        parent = field.note.parentWidget()
        section = parent.layout() if parent is not None else None
        assert isinstance(section, QVBoxLayout)
        widget.setParent(parent)
        section.insertWidget(section.indexOf(field.note) + 1, widget)

    def set_field_enabled(self, name: str, enabled: bool, reason: str | None = None) -> None:
        field = self._fields[name]
        if enabled:
            self._disabled.pop(name, None)
        else:
            self._disabled[name] = reason
        field.label.setEnabled(enabled)
        if field.empty is not None:
            field.empty.setEnabled(enabled)
        self._enable(field)
        field.note.setText(reason or "")
        field.note.setVisible(not enabled and bool(reason))
        self._describe(field)

    # -- reacting ---------------------------------------------------------------------------------

    def _fold(self, unfolded: bool) -> None:
        assert self.more is not None and self._folded is not None
        self.more.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
        self._folded.setVisible(unfolded)

    def _on_text(self, name: str, text: str) -> None:
        if self._texts.get(name) != text:  # both signals carry most edits
            self._texts[name] = text
            self._on_changed(name)

    def _on_changed(self, name: str, *_args: object) -> None:
        field = self._fields[name]
        value, _error = self._check(field)
        if field.slider is not None and not self._syncing and isinstance(value, int | float):
            self._syncing = True
            try:
                field.slider.setValue(SliderScale.for_spec(field.spec).position(value))
            finally:
                self._syncing = False
        if not self._filling:
            self.edited.emit()

    def _on_slider(self, name: str, position: int) -> None:
        if self._syncing:
            return
        field = self._fields[name]
        assert isinstance(field.input, SpecSpinBox)
        # The slider stays where the person put it: mapped back from a rounded value it could
        # jump a position or two under the mouse.
        self._syncing = True
        try:
            field.input.setValue(SliderScale.for_spec(field.spec).value(position))
        finally:
            self._syncing = False

    def _on_empty_toggled(self, name: str, _checked: bool) -> None:
        field = self._fields[name]
        self._enable(field)
        self._on_changed(name)

    # -- state ------------------------------------------------------------------------------------

    def _enable(self, field: _Field) -> None:
        enabled = field.spec.name not in self._disabled
        empty = field.empty is not None and field.empty.isChecked()
        field.input.setEnabled(enabled and not empty)
        if field.slider is not None:
            field.slider.setEnabled(enabled and not empty)
        if isinstance(field.input, SpecSpinBox) and field.empty is not None:
            field.input.set_blank(empty)

    def _check(self, field: _Field) -> tuple[Value, str | None]:
        value: Value
        error: str | None
        if isinstance(field.input, QComboBox):
            value = field.input.currentData()
            refused = field.spec.check(value)
            error = None if refused is None else refused_text(field.spec, refused)
        elif field.empty is not None and field.empty.isChecked():
            value, error = None, None
        else:
            value, refused = field.spec.parse(field.input.cleanText())
            error = None if refused is None else refused_text(field.spec, refused)
        field.error.setText(error or "")
        field.error.setVisible(error is not None)
        reference = self._reference
        changed = reference is not None and field.spec.name in reference and (
            error is not None or value != reference[field.spec.name]
        )
        if changed != (not field.mark.isHidden()):
            field.mark.setVisible(changed)
            self._describe(field)
        return value, error

    def _describe(self, field: _Field) -> None:
        """The tooltip and the accessible description: what the field does, when to change it,
        whether it differs from the preset, or why it is disabled."""
        spec = field.spec
        reason = self._disabled.get(spec.name)
        if reason:
            plain = rich = reason  # a disabled input takes no focus: this is how it is heard
        else:
            plain = " ".join(setting_text(t) for t in (spec.help, spec.advice) if t)
            rich = "".join(f"<p>{html.escape(setting_text(t))}</p>"
                           for t in (spec.help, spec.advice) if t)
            if not field.mark.isHidden() and self._reference is not None:
                was = _shown(spec, self._reference.get(spec.name))
                mark = self.tr("Changed: {preset} uses {value}.").format(
                    preset=self._reference_name, value=was)
                field.mark.setToolTip(mark)
                plain, rich = f"{mark} {plain}", f"<p><b>{html.escape(mark)}</b></p>{rich}"
        for widget in (field.input, field.slider, field.empty):
            if widget is not None:
                widget.setAccessibleDescription(plain)
                widget.setToolTip(rich)
        field.label.setToolTip(rich)
        field.explanation.setToolTip(rich)


def _shown(spec: FieldSpec, value: Value) -> str:
    if value is None:
        return translated("settings.form", _EMPTY_MEANS).get(spec.name, "none")
    return format_number(value)


def refused_text(spec: FieldSpec, refused: Text) -> str:
    """Why a value is refused, in the window's language: the engine's reason (typed) with the
    setting's name as the settings list shows it (translated in the "settings" context)."""
    if "label" not in refused.values:
        return say(refused)
    label = QCoreApplication.translate("settings", spec.label)
    return say(Text(refused.template, **{**refused.values, "label": label}))
