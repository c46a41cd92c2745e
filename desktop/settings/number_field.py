"""One numeric setting as a slider and a spin box, both read through the setting's `FieldSpec`.

The spin box takes any number, in or out of the spec's range. Qt would clamp a typed 5 for the
temperature to 2 the moment focus leaves the box, so a click on Apply would apply a value nobody
typed; here the 5 stays on screen with the spec's own message next to it, and the spec, not Qt,
decides what is refused. The arrows and the slider keep to the spec's range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QSlider,
    QStyle,
    QStyleOptionSpinBox,
    QWidget,
)

from engine.settings import FieldSpec

LOG_POSITIONS = 1000  # slider positions on a logarithmic scale
_LINEAR_INT_SPAN = 256  # whole-number ranges wider than this get a logarithmic slider

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_PARTIAL = re.compile(r"[+-]?\d*\.?\d*([eE][+-]?\d*)?")  # on the way to a number: "", "-", "1e"


def format_number(value: float) -> str:
    """0.7 as "0.7" and 40.0 as "40": no trailing zeros, no exponent, no group separators."""
    text = format(value, ".12f").rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class SliderScale:
    """Maps a spec's range to slider positions and gives the spin box its step.

    Linear in steps of 0.01 (0.1 for wide ranges) for fractions; logarithmic for wide whole-number
    ranges, where a linear slider would spend nearly all its length on values nobody uses (the
    usual 1024 reply tokens sit at 3% of 1 to 32768).
    """

    minimum: float
    maximum: float
    step: float
    logarithmic: bool

    @classmethod
    def for_spec(cls, spec: FieldSpec) -> SliderScale:
        span = spec.maximum - spec.minimum
        if spec.kind == "float":
            return cls(spec.minimum, spec.maximum, 0.01 if span <= 5 else 0.1, False)
        return cls(spec.minimum, spec.maximum, 1, span > _LINEAR_INT_SPAN)

    @property
    def positions(self) -> int:
        if self.logarithmic:
            return LOG_POSITIONS
        return round((self.maximum - self.minimum) / self.step)

    def position(self, value: float) -> int:
        offset = min(max(value, self.minimum), self.maximum) - self.minimum
        if self.logarithmic:
            share = math.log1p(offset) / math.log1p(self.maximum - self.minimum)
            return round(share * LOG_POSITIONS)
        return round(offset / self.step)

    def value(self, position: int) -> float:
        if position <= 0:
            return self.minimum
        if position >= self.positions:
            return self.maximum
        if self.logarithmic:
            share = position / LOG_POSITIONS
            raw = self.minimum + math.expm1(share * math.log1p(self.maximum - self.minimum))
            return min(max(_two_figures(raw), self.minimum), self.maximum)
        # 57 * 0.01 is 0.5700000000000001; the rounding gives back the 0.57 a person expects.
        return round(self.minimum + position * self.step, 9)

    def step_from(self, value: float) -> float:
        """The arrow keys' step: on a logarithmic scale it grows with the value (4096 -> 100)."""
        if not self.logarithmic or abs(value) < 100:
            return self.step
        return float(10 ** (math.floor(math.log10(abs(value))) - 1))


def _two_figures(number: float) -> float:
    """Slider values people would pick by hand: 4100 rather than 4113."""
    if abs(number) < 100:
        return float(round(number))
    unit = 10 ** (math.floor(math.log10(number)) - 1)
    return float(round(number / unit) * unit)


class SpecSpinBox(QDoubleSpinBox):
    """A spin box for one spec (whole numbers too) that keeps out-of-range numbers as typed."""

    def __init__(self, spec: FieldSpec, scale: SliderScale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = spec
        self._scale = scale
        self._blank = False
        self.setDecimals(12)  # a stored 0.125 must come back as 0.125, not rounded to a step
        # Wide enough that Qt never clamps what was typed (the spec's message says what is
        # wrong), narrow enough that the box is sized for the spec's own numbers.
        digits = len(str(int(max(abs(spec.minimum), abs(spec.maximum)))))
        bound = max(10.0 ** (digits + 1), 1000.0)
        self.setRange(-bound, bound)
        self.setSingleStep(scale.step)
        self.setAccelerated(True)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Not WheelFocus: scrolling the dock over a field must scroll, not change the value.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.lineEdit().setInputMethodHints(Qt.InputMethodHint.ImhFormattedNumbersOnly)

    def validate(self, input: str, pos: int) -> tuple[QValidator.State, str, int]:
        text = input.strip()
        if _NUMBER.fullmatch(text) and math.isfinite(float(text)):
            return QValidator.State.Acceptable, input, pos
        if _PARTIAL.fullmatch(text):
            return QValidator.State.Intermediate, input, pos
        return QValidator.State.Invalid, input, pos

    def valueFromText(self, text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            return self.value()
        return value if math.isfinite(value) else self.value()

    def textFromValue(self, val: float) -> str:
        return "" if self._blank else format_number(val)

    def set_blank(self, blank: bool) -> None:
        """Shows no number while keeping the value to show again: a greyed-out 0 beside a ticked
        "Random" would read as seed 0."""
        if blank != self._blank:
            self._blank = blank
            self.setValue(self.value())  # rewrites the text from textFromValue

    def stepBy(self, steps: int) -> None:
        value = self.value() + steps * self._scale.step_from(self.value())
        # A step always lands in range, also from a refused value outside it.
        self.setValue(round(min(max(value, self._spec.minimum), self._spec.maximum), 9))
        self.selectAll()

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self.isReadOnly() or not self.isEnabled():
            return flags
        if self.value() < self._spec.maximum:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self.value() > self._spec.minimum:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # the scroll area around the form scrolls instead

    # Qt sizes a spin box for the texts of its minimum and maximum, here the wide bounds that
    # keep typed values unclamped (or nothing while blank); size it for the spec's own numbers,
    # as Qt would (QAbstractSpinBox::sizeHint): the widest text, a space, the cursor's 2 px.

    def sizeHint(self) -> QSize:
        return self._size_for(self.lineEdit().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return self._size_for(self.lineEdit().minimumSizeHint().height())

    def _size_for(self, height: int) -> QSize:
        self.ensurePolished()
        metrics = self.fontMetrics()
        spec = self._spec
        texts = [format_number(spec.minimum), format_number(spec.maximum)]
        if spec.kind == "float":
            texts.append("-0.00")  # room for 0.95 or -1.5
        width = max(metrics.horizontalAdvance(f"{text} ") for text in texts) + 2
        option = QStyleOptionSpinBox()
        self.initStyleOption(option)
        return self.style().sizeFromContents(
            QStyle.ContentsType.CT_SpinBox, option, QSize(width, height), self
        )


class SpecSlider(QSlider):
    """A horizontal slider over a `SliderScale`'s positions that lets the dock scroll past it."""

    def __init__(self, scale: SliderScale, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(0, scale.positions)
        self.setPageStep(max(1, scale.positions // 10))
        # Out of the Tab order: the spin box beside it is the same field, typed or stepped with
        # the arrow keys, so a keyboard user meets each setting once. A click gives it focus,
        # and then the arrow keys move it.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()
