"""Opening a link from a model's reply: only web and mail links, only after the person agrees.

A model can write anything, including links that look like one thing and go to another, or
that point at local files. The confirmation shows the real target before anything opens.

Hearth's own links never leave the app: `hearth-passage:<message id>/<number>` (a reply's "[1]"
and its Sources lines) shows the cited passage beside the conversation, and
`hearth-route:<message id>/<route>` (under a reply about a long document) writes that reply
again the other way: from passages, or from the whole document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.i18n import QT_TRANSLATE_NOOP, translated
from engine.documents.route import Route

OPENABLE_SCHEMES = ("http", "https", "mailto")
PASSAGE_SCHEME = "hearth-passage"
PASSAGE_TIP = QT_TRANSLATE_NOOP("chat.link_opener", "Show the passage this cites")
_PASSAGE_PATH = re.compile(r"(\d+)/(\d+)")
ROUTE_SCHEME = "hearth-route"
ROUTE_TIPS = {
    Route.WHOLE: QT_TRANSLATE_NOOP(
        "chat.link_opener", "Write this reply again from the whole document (its summaries)"),
    Route.PASSAGES: QT_TRANSLATE_NOOP("chat.link_opener",
                                      "Write this reply again from the passages search finds for "
                                      "the question"),
}
_ROUTE_PATH = re.compile(r"(\d+)/(" + "|".join(Route) + ")")


def passage_link(message_id: int, number: int) -> str:
    """The link to the passage a reply cites as "[number]"."""
    return f"{PASSAGE_SCHEME}:{message_id}/{number}"


def passage_of(url: QUrl) -> tuple[int, int] | None:
    """The message id and citation number of a passage link; None for any other link."""
    if url.scheme().lower() != PASSAGE_SCHEME:
        return None
    match = _PASSAGE_PATH.fullmatch(url.path())
    return (int(match.group(1)), int(match.group(2))) if match else None


def route_link(message_id: int, route: Route) -> str:
    """The link that writes a reply again, answered by `route`."""
    return f"{ROUTE_SCHEME}:{message_id}/{route}"


def route_of(url: QUrl) -> tuple[int, Route] | None:
    """The message id and route of a route link; None for any other link."""
    if url.scheme().lower() != ROUTE_SCHEME:
        return None
    match = _ROUTE_PATH.fullmatch(url.path())
    return (int(match.group(1)), Route(match.group(2))) if match else None


def link_tip(link: str) -> str:
    """What hovering over a link says: where it goes, in words for Hearth's own."""
    url = QUrl(link)
    if passage_of(url) is not None:
        return translated("chat.link_opener", PASSAGE_TIP)
    route = route_of(url)
    return translated("chat.link_opener", ROUTE_TIPS)[route[1]] if route is not None else link


@dataclass(frozen=True)
class LinkVerdict:
    openable: bool
    message: str


def judge_link(url: QUrl) -> LinkVerdict:
    scheme = url.scheme().lower()
    shown = url.toDisplayString()
    if not url.isValid() or scheme not in OPENABLE_SCHEMES:
        what = (QCoreApplication.translate("chat.link_opener", "a {scheme}: link")
                .format(scheme=scheme) if scheme else
                QCoreApplication.translate("chat.link_opener", "a link with no address"))
        return LinkVerdict(False, QCoreApplication.translate(
            "chat.link_opener", "Hearth does not open {what} from a reply:\n{shown}").format(
                what=what, shown=shown))
    if scheme == "mailto":
        return LinkVerdict(True, QCoreApplication.translate("chat.link_opener", "Write an email to "
                                                                                "{path}?")
                                 .format(path=url
         .path()))
    return LinkVerdict(True, QCoreApplication.translate(
        "chat.link_opener", "Open this page in your browser?\n\nSite: {host}\n{shown}").format(
            host=url.host(), shown=shown))


def open_link(parent: QWidget, url: QUrl, show_passage: Callable[[int, int], object],
              answer_again: Callable[[int, Route], object] | None = None) -> bool:
    """A clicked link: a passage link shows its passage (`show_passage(message id, number)`),
    a route link writes its reply again (`answer_again(message id, route)`); any other is
    confirmed first and opened only if it is a web or mail link."""
    passage = passage_of(url)
    if passage is not None:
        show_passage(*passage)
        return True
    route = route_of(url)
    if route is not None and answer_again is not None:
        answer_again(*route)
        return True
    if url.scheme().lower() in (PASSAGE_SCHEME, ROUTE_SCHEME):
        return False  # malformed or not offered: Hearth's own never go to the desktop
    return confirm_and_open(parent, url)


def confirm_and_open(parent: QWidget, url: QUrl) -> bool:
    verdict = judge_link(url)
    if not verdict.openable:
        QMessageBox.information(parent, QCoreApplication.translate("chat.link_opener", "Link not "
                                                                                       "opened"),
                                verdict.message)
        return False
    answer = QMessageBox.question(
        parent, QCoreApplication.translate("chat.link_opener", "Open link"), verdict.message,
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Open:
        return False
    return QDesktopServices.openUrl(url)
