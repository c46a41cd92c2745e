"""Opening a link from a model's reply: only web and mail links, only after the person agrees.

A model can write anything, including links that look like one thing and go to another, or
that point at local files. The confirmation shows the real target before anything opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

OPENABLE_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class LinkVerdict:
    openable: bool
    message: str


def judge_link(url: QUrl) -> LinkVerdict:
    scheme = url.scheme().lower()
    shown = url.toDisplayString()
    if not url.isValid() or scheme not in OPENABLE_SCHEMES:
        what = f"a {scheme}: link" if scheme else "a link with no address"
        return LinkVerdict(False, f"Hearth does not open {what} from a reply:\n{shown}")
    if scheme == "mailto":
        return LinkVerdict(True, f"Write an email to {url.path()}?")
    return LinkVerdict(True, f"Open this page in your browser?\n\nSite: {url.host()}\n{shown}")


def confirm_and_open(parent: QWidget, url: QUrl) -> bool:
    verdict = judge_link(url)
    if not verdict.openable:
        QMessageBox.information(parent, "Link not opened", verdict.message)
        return False
    answer = QMessageBox.question(
        parent, "Open link", verdict.message,
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Open:
        return False
    return QDesktopServices.openUrl(url)
