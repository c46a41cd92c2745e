"""A form of numeric settings built from their `FieldSpec`s and validated as the person types.

The specs own the ranges and the messages, so the form refuses exactly what the engine would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget

from engine.settings import FieldSpec

Value = int | float | None

# An empty optional field is not "nothing": it means one of these, so the placeholder says so.
_EMPTY_MEANS = {"seed": "random", "n_threads": "automatic", "n_gpu_layers": "as many as fit"}


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
    input: QLineEdit | QComboBox
    error: ErrorLabel
    note: QLabel


class NumberFieldsForm(QWidget):
    """One labelled input per spec, each with its error and an optional "why disabled" note."""

    edited = Signal()

    def __init__(self, specs: tuple[FieldSpec, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fields: dict[str, _Field] = {}
        self._filling = False
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        for index, spec in enumerate(specs):
            self._fields[spec.name] = self._add_field(grid, 3 * index, spec)

    def _add_field(self, grid: QGridLayout, row: int, spec: FieldSpec) -> _Field:
        field_input: QLineEdit | QComboBox
        if spec.kind == "choice":
            field_input = QComboBox(self)
            for choice in spec.choices:
                field_input.addItem(str(choice), choice)
            field_input.currentIndexChanged.connect(partial(self._on_changed, spec.name))
        else:
            field_input = QLineEdit(self)
            field_input.setPlaceholderText(_EMPTY_MEANS.get(spec.name, ""))
            field_input.setInputMethodHints(Qt.InputMethodHint.ImhFormattedNumbersOnly)
            field_input.textChanged.connect(partial(self._on_changed, spec.name))
        field_input.setAccessibleName(spec.label)
        field_input.setAccessibleDescription(spec.help)
        field_input.setToolTip(spec.help)

        label = QLabel(spec.label, self)
        label.setToolTip(spec.help)
        label.setBuddy(field_input)

        error = ErrorLabel(self)
        error.setAccessibleName(f"{spec.label} error")
        error.hide()

        note = QLabel(self)
        note.setWordWrap(True)
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        note.setAccessibleName(f"{spec.label} note")
        note.hide()

        grid.addWidget(label, row, 0)
        grid.addWidget(field_input, row, 1)
        # Messages span both columns: a narrow dock leaves the input column too slim for them.
        grid.addWidget(error, row + 1, 0, 1, 2)
        grid.addWidget(note, row + 2, 0, 1, 2)
        return _Field(spec, label, field_input, error, note)

    def set_values(self, values: Mapping[str, Value]) -> None:
        """Fills the named fields; filling is not an edit, so `edited` stays quiet."""
        self._filling = True
        try:
            for name, value in values.items():
                field = self._fields[name]
                if isinstance(field.input, QComboBox):
                    field.input.setCurrentIndex(field.input.findData(value))
                else:
                    field.input.setText(_format(value))
                    field.input.setCursorPosition(0)
                # Setting the text it already has emits nothing, yet an old error must clear.
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

    def set_field_enabled(self, name: str, enabled: bool, reason: str | None = None) -> None:
        field = self._fields[name]
        field.label.setEnabled(enabled)
        field.input.setEnabled(enabled)
        field.note.setText(reason or "")
        field.note.setVisible(not enabled and bool(reason))
        # A disabled input takes no focus, so a screen reader meets the reason only this way.
        described = field.spec.help if enabled or not reason else reason
        field.input.setAccessibleDescription(described)
        field.input.setToolTip(described)

    def _on_changed(self, name: str, *_args: object) -> None:
        self._check(self._fields[name])
        if not self._filling:
            self.edited.emit()

    def _check(self, field: _Field) -> tuple[Value, str | None]:
        value: Value
        if isinstance(field.input, QComboBox):
            value = field.input.currentData()
            error = field.spec.check(value)
        else:
            value, error = field.spec.parse(field.input.text())
        field.error.setText(error or "")
        field.error.setVisible(error is not None)
        return value, error


def _format(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # "1", not "1.0"; a float field parses it back to 1.0
    return str(value)
