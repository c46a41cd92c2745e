"""A tab page that scrolls rather than squeezes: in a window smaller than its fields and buttons
need (the smallest, 900x600, with the settings dock open), scroll bars show and nothing is cut."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget


def scroll_when_small(page: QWidget) -> QScrollArea:
    """Moves `page`'s layout, with its widgets, into a scroll area that fills `page`. Call it
    once its layout is built; the widgets keep their names and signals, only their parent
    changes."""
    layout = page.layout()
    if layout is None:
        raise ValueError("the page has no layout yet")
    content = QWidget()
    content.setLayout(layout)  # Qt takes it from `page`, and the widgets in it with it
    area = QScrollArea(page)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(content)
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(area)
    return area
