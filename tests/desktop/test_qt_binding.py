"""The Qt binding itself must not corrupt Python's reference counts.

PySide6 6.12.0 decrements None's count each time a Python list model's data() returns None;
on Python 3.11 None is not immortal, so a long session aborted with "deallocating None".
Found by the benchmark; pinned away in pyproject.toml, and checked here.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

_Index = QModelIndex | QPersistentModelIndex


class _Model(QAbstractListModel):
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return {Qt.ItemDataRole.UserRole: False, Qt.ItemDataRole.UserRole + 1: True}.get(role)


def test_model_data_keeps_none_true_and_false_alive(qtbot: object) -> None:
    model = _Model()
    index = model.index(0)
    counts = (sys.getrefcount(None), sys.getrefcount(False), sys.getrefcount(True))
    for _ in range(2000):
        index.data(Qt.ItemDataRole.ToolTipRole)
        index.data(Qt.ItemDataRole.UserRole)
        index.data(Qt.ItemDataRole.UserRole + 1)
    after = (sys.getrefcount(None), sys.getrefcount(False), sys.getrefcount(True))
    drift = [b - a for a, b in zip(counts, after, strict=True)]
    assert all(abs(d) < 50 for d in drift), f"reference counts drifted by {drift}"
