"""The line over an empty list: painted, and given to screen readers as the list's description."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import QListView, QListWidget
from pytestqt.qtbot import QtBot

from desktop.empty_state import EmptyState

HINT = "Nothing here yet. New… makes one."


def test_the_hint_is_the_description_while_the_list_is_empty(qtbot: QtBot) -> None:
    view = QListView()
    qtbot.addWidget(view)
    model = QStringListModel(view)
    view.setModel(model)
    EmptyState(view, HINT)
    assert view.accessibleDescription() == HINT
    model.setStringList(["one"])  # a reset
    assert view.accessibleDescription() == ""
    model.removeRows(0, 1)
    assert view.accessibleDescription() == HINT
    model.insertRows(0, 1)
    assert view.accessibleDescription() == ""


def test_a_list_widget_with_rows_is_destroyed_quietly(qtbot: QtBot) -> None:
    """A QListWidget empties its model as it is destroyed, after the view itself is gone."""
    view = QListWidget()
    EmptyState(view, HINT)
    view.addItem("one")
    assert view.accessibleDescription() == ""
    shiboken6.delete(view)  # an exception in a slot here fails the test (pytest-qt)
    assert not shiboken6.isValid(view)
