"""What "nothing cut" means for a window on screen: every visible button, label, line edit, combo
box and tab bar tab at least its minimum size hint and inside the widgets around it (a scroll
area's content excepted: it scrolls), a button at least as wide as its text, a wrapping label as
tall as its text needs at its width."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QWidget,
)

# What a button's frame and padding take beside its text, at the least (Fusion's push button
# has 2 px of frame and some padding a side; a check box's indicator is wider).
BUTTON_MARGIN = 4


def _name(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, QAbstractButton | QLabel):
        text = widget.text()
    elif isinstance(widget, QLineEdit):
        text = widget.text() or widget.placeholderText()
    elif isinstance(widget, QComboBox):
        text = widget.currentText()
    parent = widget.parentWidget()
    where = parent.objectName() or type(parent).__name__ if parent is not None else ""
    return f"{type(widget).__name__} {widget.objectName() or ''}{text[:40]!r} in {where}"


def _scrolls(widget: QWidget) -> bool:
    """Whether `widget` is a scroll area's viewport: what lies in it may be scrolled out."""
    parent = widget.parentWidget()
    return isinstance(parent, QAbstractScrollArea) and parent.viewport() is widget


def _clipped(widget: QWidget) -> bool:
    """Whether some widget around `widget`, up to its window or a scroll area, cuts it."""
    rect = widget.rect()
    child, parent = widget, widget.parentWidget()
    while parent is not None and not child.isWindow() and not _scrolls(parent):
        rect = QRect(child.mapToParent(rect.topLeft()), rect.size())
        if not parent.rect().contains(rect):
            return True
        child, parent = parent, parent.parentWidget()
    return False


def _button_text(button: QAbstractButton) -> str:
    return button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")


def _checked(widget: QWidget) -> bool:
    if isinstance(widget, QLineEdit):  # a spin box's or combo box's own: checked as a whole
        return not isinstance(widget.parentWidget(), QAbstractSpinBox | QComboBox)
    return isinstance(widget, QAbstractButton | QLabel | QComboBox | QTabBar | QAbstractSpinBox)


def cut_widgets(root: QWidget) -> list[str]:
    """What is cut among the visible widgets in `root` (empty when nothing is)."""
    problems: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or not _checked(widget):
            continue
        size, hint = widget.size(), widget.minimumSizeHint()
        wrapping = isinstance(widget, QLabel) and widget.wordWrap()
        if wrapping:
            assert isinstance(widget, QLabel)
            needed = widget.heightForWidth(widget.width())
            if widget.text() and size.height() < needed:
                problems.append(f"{_name(widget)}: {size.height()} px tall, needs {needed}")
        # A tab bar's hint has room for its scroll buttons: its tabs are checked one by one.
        elif (hint.isValid() and not isinstance(widget, QTabBar)
              and (size.width() < hint.width() or size.height() < hint.height())):
            problems.append(f"{_name(widget)}: {size.width()}x{size.height()}, "
                            f"needs {hint.width()}x{hint.height()}")
        if isinstance(widget, QAbstractButton) and widget.text():
            needed = widget.fontMetrics().horizontalAdvance(_button_text(widget)) + BUTTON_MARGIN
            if not widget.icon().isNull():
                needed += widget.iconSize().width()
            if size.width() < needed:
                problems.append(f"{_name(widget)}: {size.width()} px wide, its text {needed}")
        if isinstance(widget, QComboBox) and widget.currentText() and not widget.isEditable():
            option = QStyleOptionComboBox()
            widget.initStyleOption(option)
            field = widget.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                                  QStyle.SubControl.SC_ComboBoxEditField, widget)
            needed = widget.fontMetrics().horizontalAdvance(widget.currentText())
            if not widget.itemIcon(widget.currentIndex()).isNull():
                needed += widget.iconSize().width() + 4
            if field.width() < needed:
                problems.append(f"{_name(widget)}: {field.width()} px for its text, needs "
                                f"{needed}")
        if isinstance(widget, QTabBar):
            for i in range(widget.count()):
                tab, text = widget.tabRect(i), widget.tabText(i)
                needed = widget.fontMetrics().horizontalAdvance(text.replace("&", ""))
                if tab.width() < needed or not widget.rect().contains(tab):
                    problems.append(f"tab {text!r} of {_name(widget)}: {tab.width()} px at "
                                    f"{tab.x()} of {widget.width()}, its text {needed}")
        if _clipped(widget):
            problems.append(f"{_name(widget)}: cut by the widgets around it")
    return problems
