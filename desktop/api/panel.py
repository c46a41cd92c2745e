"""The API server's controls: on/off, address and port, the URL, and the token.

Off by default. An address other computers can reach is used only after the person confirms
it in a warning. The panel only edits: the engine thread saves the settings, starts or stops
the server, and `show_state` shows what actually happened (a port in use, say).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.api.client import ApiClient
from desktop.api.host import ApiState
from desktop.engine_texts import sentence
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.settings.form import ErrorLabel
from engine.api.access import is_loopback
from engine.config import ApiSettings, api_from_dict
from engine.errors import SettingsError

THIS_COMPUTER = "127.0.0.1"
ALL_NETWORKS = "0.0.0.0"
INTRO = (QT_TRANSLATE_NOOP("api.panel", "Other programs on this computer can use the loaded model "
                                        "through OpenAI's API "
         "(chat completions, completions, embeddings), with the token below."))
NETWORK_WARNING = (QT_TRANSLATE_NOOP("api.panel", "Reachable from other computers on your network. "
                                                  "Anyone there with the "
                   "token can use the model, and the traffic is not encrypted."))


class ApiPanel(QWidget):
    def __init__(self, api: ApiClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._api = api
        self._shown: ApiSettings | None = None

        self.switch = QCheckBox(self.tr("Serve the model to other programs"), self)
        self.switch.setAccessibleName(self.tr("API server"))
        self.switch.toggled.connect(self._switched)
        intro = QLabel(translated("api.panel", INTRO), self)
        intro.setWordWrap(True)

        self.host = QComboBox(self)
        self.host.setEditable(True)
        self.host.addItem(THIS_COMPUTER)
        self.host.addItem(ALL_NETWORKS)
        self.host.setAccessibleName(self.tr("Address"))
        self.host.setToolTip(self.tr("{THIS_COMPUTER}: only this computer. {ALL_NETWORKS}: every "
                                     "network this computer is on.")
                             .format(THIS_COMPUTER=THIS_COMPUTER,
                                     ALL_NETWORKS=ALL_NETWORKS))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setAccessibleName(self.tr("Port"))
        self.apply_button = QPushButton(self.tr("Apply address"), self)
        self.apply_button.setAccessibleName(self.tr("Apply address"))
        self.apply_button.clicked.connect(lambda: self._apply(self.switch.isChecked()))
        self.host.currentTextChanged.connect(self._edited)
        self.port.valueChanged.connect(self._edited)

        self.status = QLabel(self.tr("Off"), self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("API server status"))
        self.error = ErrorLabel(self)
        self.error.setAccessibleName(self.tr("API server problem"))
        self.error.hide()

        self.url = _read_only("URL", self)
        self.copy_url = _button(self.tr("Copy"), self.tr("Copy the URL"), self)
        self.copy_url.clicked.connect(lambda: _copy(self.url.text()))
        self.token = _read_only(self.tr("Token"), self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = _button(self.tr("Show"), self.tr("Show the token"), self)
        self.show_token.setCheckable(True)
        self.show_token.toggled.connect(self._reveal)
        self.copy_token = _button(self.tr("Copy"), self.tr("Copy the token"), self)
        self.copy_token.clicked.connect(lambda: _copy(self.token.text()))
        self.new_token = _button(self.tr("New token…"), self.tr("Make a new token"), self)
        self.new_token.clicked.connect(self._regenerate)

        self.example = QPlainTextEdit(self)
        self.example.setReadOnly(True)
        self.example.setAccessibleName(self.tr("Example request"))
        self.example.setFixedHeight(self.example.fontMetrics().lineSpacing() * 7)
        self.example.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        grid = QGridLayout()
        rows: list[tuple[str, list[QWidget]]] = [
            (self.tr("Address"), [self.host]), (self.tr("Port"), [self.port, self.apply_button]),
            ("URL", [self.url, self.copy_url]),
            (self.tr("Token"), [self.token, self.show_token, self.copy_token]),
        ]
        for row, (label, widgets) in enumerate(rows):
            caption = QLabel(label, self)
            caption.setBuddy(widgets[0])
            grid.addWidget(caption, row, 0)
            line = QHBoxLayout()
            for widget in widgets:
                line.addWidget(widget, 1 if widget in (self.host, self.url, self.token) else 0)
            grid.addLayout(line, row, 1)
        token_row = QHBoxLayout()
        token_row.addStretch(1)
        token_row.addWidget(self.new_token)

        layout = QVBoxLayout(self)
        layout.addWidget(self.switch)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addLayout(token_row)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(QLabel(self.tr("Try it from a terminal:"), self))
        layout.addWidget(self.example)
        layout.addStretch(1)

        api.stateChanged.connect(self.show_state)
        self.show_state(api.state)

    def show_state(self, state: ApiState) -> None:
        settings = state.settings
        if settings != self._shown:  # refill only on a real change: keep what is being typed
            self._shown = settings
            self.switch.blockSignals(True)
            self.switch.setChecked(settings.enabled)
            self.switch.blockSignals(False)
            self.host.setCurrentText(settings.host)
            self.port.setValue(settings.port)
        self.token.setText(settings.token or "")
        self.token.setCursorPosition(0)
        self.url.setText(state.url or "")
        for widget in (self.copy_url, self.copy_token, self.show_token, self.new_token):
            widget.setEnabled(bool(state.url if widget is self.copy_url else settings.token))
        self.error.setText(state.error or (translated("api.panel", NETWORK_WARNING) if state
                                           .reachable_from_network
                                           else ""))
        self.error.setVisible(bool(self.error.text()))
        if state.running:
            self.status.setText(
                self.tr("On: serving {model} at {url}").format(model=state.model, url=state.url)
                if state.model else
                self.tr("On at {url}, but no local model is loaded: requests are answered 503 "
                        "until one is.").format(url=state.url)
            )
        else:
            self.status.setText(self.tr("Off") if not settings.enabled else self.tr("Not running"))
        self.example.setPlainText(_example(state) if state.running else "")
        self._edited()

    def _edited(self, *_args: object) -> None:
        shown = self._shown or ApiSettings()
        self.apply_button.setEnabled(
            (self.host.currentText().strip(), self.port.value()) != (shown.host, shown.port)
        )

    def _switched(self, on: bool) -> None:
        if on:
            self._apply(True)
        else:  # turning off always works, whatever is typed in the address fields
            self._api.apply(dataclasses.replace(self._api.state.settings, enabled=False))

    def _apply(self, enabled: bool) -> None:
        current = self._api.state.settings
        host = self.host.currentText().strip()
        try:
            wanted = api_from_dict({**current.to_dict(), "enabled": enabled, "host": host,
                                    "port": self.port.value()})
        except SettingsError as error:
            self.error.setText(sentence(next(iter(error.errors.values()))))
            self.error.show()
            self._revert_switch(current)
            return
        newly_exposed = wanted.enabled and not is_loopback(wanted.host) and (
            not current.enabled or current.host != wanted.host
        )
        if newly_exposed and not self.confirm_network(wanted.host):
            self._shown = None
            self.show_state(self._api.state)
            return
        self._api.apply(wanted)

    def _revert_switch(self, current: ApiSettings) -> None:
        self.switch.blockSignals(True)
        self.switch.setChecked(current.enabled)
        self.switch.blockSignals(False)

    def confirm_network(self, host: str) -> bool:
        """Asks before listening where other computers can connect."""
        answer = QMessageBox.warning(
            self, self.tr("Serve to the network?"),
            self.tr("Listening on {host} lets other computers reach the API. "
                    "{NETWORK_WARNING}\n\nServe there anyway?")
            .format(host=host, NETWORK_WARNING=translated("api.panel",
                    NETWORK_WARNING)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _regenerate(self) -> None:
        answer = QMessageBox.question(
            self, self.tr("New token"),
            self.tr("Make a new token? Programs using the current one are refused until they are "
            "given the new one."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._api.regenerate_token()

    def _reveal(self, shown: bool) -> None:
        self.token.setEchoMode(QLineEdit.EchoMode.Normal if shown
                               else QLineEdit.EchoMode.Password)
        self.show_token.setText(self.tr("Hide") if shown else self.tr("Show"))


def _example(state: ApiState) -> str:
    model = state.model or "MODEL"
    return (
        f"curl {state.url}/chat/completions \\\n"
        '  -H "Authorization: Bearer $HEARTH_TOKEN" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f'  -d \'{{"model": "{model}",\n'
        '       "messages": [{"role": "user", "content": "Hello"}]}\''
    )


def _read_only(name: str, parent: QWidget) -> QLineEdit:
    line = QLineEdit(parent)
    line.setReadOnly(True)
    line.setAccessibleName(name)
    return line


def _button(text: str, accessible: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(accessible)
    return button


def _copy(text: str) -> None:
    if text:
        QGuiApplication.clipboard().setText(text)
