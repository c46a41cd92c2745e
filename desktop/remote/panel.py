"""The Models tab's "Remote engines" section: add an OpenAI-compatible server (name, address,
API key), see its models, test the connection, use a model, remove the server.

Every server and file operation goes through `RemoteEnginesClient` (its own threads); this
widget only shows what comes back.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop.engine_client import EngineClient
from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.remote.client import NETWORK_OFF_TEXT, RemoteEnginesClient, remote_engines
from engine.remote.client import RemoteModelListing
from engine.remote.keys import model_key_for
from engine.remote.settings import RemoteSettings
from engine.text import Text

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # on a model row: its remote:<engine>/<id> key
ENGINE_ROLE = Qt.ItemDataRole.UserRole + 2  # on an engine row: its name
COLUMNS = (QT_TRANSLATE_NOOP("remote.panel", "Engine / model"), QT_TRANSLATE_NOOP("remote.panel",
                                                            "Context"), QT_TRANSLATE_NOOP(
                                                            "remote.panel", "Status"))


class RemoteEnginesPanel(QGroupBox):
    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("RemoteEnginesPanel", "Remote engines"), parent)
        self._adding = False  # the status line follows an engine being added
        self._client = client
        self.remote: RemoteEnginesClient = remote_engines(client)
        self.setToolTip(self.tr("OpenAI-compatible servers (llama.cpp's server, vLLM, Ollama, "
                                "another "
                        "Hearth) whose models chats, documents and the Prompt Lab can use"))

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("Name, e.g. lab"))
        self.name_edit.setAccessibleName(self.tr("Remote engine name"))
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("http://192.168.1.5:8080/v1")
        self.url_edit.setAccessibleName(self.tr("Remote engine address"))
        self.key_edit = QLineEdit()
        self.key_edit.setPlaceholderText(self.tr("API key (optional)"))
        self.key_edit.setAccessibleName(self.tr("Remote engine API key"))
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.clicked.connect(self.add_engine)
        self.url_edit.returnPressed.connect(self.add_engine)
        form = QHBoxLayout()
        form.addWidget(self.name_edit, 1)
        form.addWidget(self.url_edit, 3)
        form.addWidget(self.key_edit, 2)
        form.addWidget(self.add_button)

        self.engines = QStandardItemModel(0, len(translated("remote.panel", COLUMNS)), self)
        self.engines.setHorizontalHeaderLabels(list(translated("remote.panel", COLUMNS)))
        self.view = QTreeView()
        self.view.setModel(self.engines)
        self.view.setAccessibleName(self.tr("Remote engines and their models"))
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setUniformRowHeights(True)
        self.view.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.header().setStretchLastSection(True)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.view.doubleClicked.connect(lambda _index: self.use_selected())

        self.test_button = QPushButton(self.tr("Test connection"))
        self.test_button.clicked.connect(self.test_selected)
        self.use_button = QPushButton(self.tr("Use model"))
        self.use_button.clicked.connect(self.use_selected)
        self.remove_button = QPushButton(self.tr("Remove…"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for button in (self.test_button, self.use_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addWidget(self.status_label, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.view)
        layout.addLayout(buttons)

        self.remote.settingsLoaded.connect(self._on_settings)
        self.remote.modelsListed.connect(self._on_models)
        self.remote.modelsFailed.connect(self._on_failed)
        self.remote.added.connect(self._on_added)
        self.remote.actionFailed.connect(self._show_problem)
        self.remote.networkChanged.connect(lambda _on: self._show_network())
        self._on_settings(self.remote.settings, None)

    # Actions -----------------------------------------------------------------------------

    def add_engine(self) -> None:
        name, url = self.name_edit.text().strip(), self.url_edit.text().strip()
        if not name or not url:
            self._show_problem(self.tr("Give the engine a name and the address of its API."))
            return
        self.add_button.setEnabled(False)
        self.status_label.setText(self.tr("Adding {name}…").format(name=name))
        self._adding = True
        self.remote.add(name, url, self.key_edit.text())

    def test_selected(self) -> None:
        name = self._selected_engine()
        if name is not None:
            self._engine_row(name, status=self.tr("Connecting…"))
            self.remote.list_models(name)

    def use_selected(self) -> None:
        key = self._selected_model_key()
        if key is not None:
            self._client.load_model(key)
            self.status_label.setText(self.tr("Switching the chat to {key}…").format(key=key))

    def remove_selected(self) -> None:
        name = self._selected_engine()
        if name is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Remove remote engine"),
            self.tr("Remove “{name}” and its saved API key? Chats keep their messages.")
            .format(name=name))
        if answer == QMessageBox.StandardButton.Yes:
            self.remote.remove(name)

    # Results -----------------------------------------------------------------------------

    def _on_settings(self, settings: RemoteSettings, notice: object) -> None:
        known = {e.name for e in settings.endpoints}
        for number in reversed(range(self.engines.rowCount())):
            if self.engines.item(number, 0).data(ENGINE_ROLE) not in known:
                self.engines.removeRow(number)
        for endpoint in settings.endpoints:
            row = self._engine_row(endpoint.name,
                                   status=None if endpoint.enabled else "disabled")
            row.setToolTip(endpoint.api_url)
            row.setText(f"{endpoint.name} — {endpoint.api_url}")
        self._show_network()
        if isinstance(notice, Text):
            self._show_problem(say(notice))
        self._update_buttons()

    def _on_added(self, name: str) -> None:
        self._adding = True
        self.add_button.setEnabled(True)
        for edit in (self.name_edit, self.url_edit, self.key_edit):
            edit.clear()
        self.status_label.setText(self.tr("Added {name}; asking it for its models…")
                                  .format(name=name))

    def _on_models(self, name: str, models: list[RemoteModelListing]) -> None:
        count = (self.tr("1 model") if len(models) == 1
                 else self.tr("%n models", "", len(models)))
        row = self._engine_row(name, status=count)
        row.removeRows(0, row.rowCount())
        for model in models:
            item = QStandardItem(model.id)
            item.setData(model_key_for(name, model.id), KEY_ROLE)
            item.setToolTip(self.tr("{model_key_for} — double-click to use it")
                            .format(model_key_for=model_key_for(name, model.id)))
            context = QStandardItem(f"{model.context_length:,}" if model.context_length else "?")
            context.setToolTip(self.tr("From the server's models list") if model.context_length
                               else self.tr("The server does not say; Hearth assumes 4,096 tokens"))
            owner = QStandardItem(self.tr("served by {owned_by}")
                                  .format(owned_by=model.owned_by) if model.owned_by else "")
            row.appendRow([item, context, owner])
        self.view.expand(row.index())
        if self._adding:
            self._adding = False
            self.status_label.setText(self.tr("{name} answered with {count}.")
                                      .format(name=name, count=count))
        self._update_buttons()

    def _on_failed(self, name: str, why: str) -> None:
        self._engine_row(name, status=self.tr("cannot connect"))
        self._show_problem(why)

    def _show_problem(self, text: str) -> None:
        self.add_button.setEnabled(True)
        self._adding = False
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #c62828;")

    def _show_network(self) -> None:
        on = self.remote.network_on
        if not on:
            self.status_label.setStyleSheet("")
            self.status_label.setText(translated("remote.client", NETWORK_OFF_TEXT))
        elif self.status_label.text() == translated("remote.client", NETWORK_OFF_TEXT):
            self.status_label.clear()
        self.view.setEnabled(on)
        self._update_buttons()

    # Rows ------------------------------------------------------------------------------

    def _engine_row(self, name: str, status: str | None = None) -> QStandardItem:
        for row in range(self.engines.rowCount()):
            item = self.engines.item(row, 0)
            if item.data(ENGINE_ROLE) == name:
                break
        else:
            item = QStandardItem(name)
            item.setData(name, ENGINE_ROLE)
            self.engines.appendRow([item, QStandardItem(""), QStandardItem("")])
        if status is not None:
            self.engines.item(item.row(), 2).setText(status)
        return item

    def _selected(self) -> QModelIndex | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0] if rows else None

    def _selected_engine(self) -> str | None:
        index = self._selected()
        if index is None:
            return None
        top = index.parent() if index.parent().isValid() else index
        name = top.siblingAtColumn(0).data(ENGINE_ROLE)
        return name if isinstance(name, str) else None

    def _selected_model_key(self) -> str | None:
        index = self._selected()
        key = index.siblingAtColumn(0).data(KEY_ROLE) if index is not None else None
        return key if isinstance(key, str) else None

    def _update_buttons(self) -> None:
        on = self.remote.network_on
        self.test_button.setEnabled(on and self._selected_engine() is not None)
        self.use_button.setEnabled(on and self._selected_model_key() is not None)
        self.remove_button.setEnabled(self._selected_engine() is not None)
