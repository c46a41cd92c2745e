"""The model picker beside the chat: shows the model in use and switches to another.

Local models come first, then the models of each remote engine, marked as remote; with the
network switch off the remote ones stay listed but cannot be picked, and say why."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from desktop.engine_client import EngineClient
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.remote.client import NETWORK_OFF_TEXT, remote_engines
from engine.chat.engine import model_key
from engine.host.runtime import LoadedModel
from engine.models.library import InstalledModel
from engine.remote.client import RemoteModelListing
from engine.remote.engine import RemoteModel
from engine.remote.keys import model_key_for
from engine.remote.settings import RemoteSettings

PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # a local model's path, or a remote model's key
REMOTE_MARK = QT_TRANSLATE_NOOP("models.picker", "· remote")


class ModelPicker(QComboBox):
    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._loaded: str | None = None
        self._local: list[tuple[str, str]] = []  # (label, path)
        self._remote: dict[str, list[RemoteModelListing]] = {}  # by endpoint name
        self._remote_client = remote_engines(client)
        self.setAccessibleName(self.tr("Model"))
        self.setToolTip(self.tr("The model answering in this window; pick another to switch"))
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.activated.connect(self._picked)
        client.models.modelsListed.connect(self._on_models)
        client.modelLoading.connect(self._on_loading)
        client.modelLoaded.connect(self._on_loaded)
        client.modelFailed.connect(lambda _why: self.setEnabled(True))
        self._remote_client.modelsListed.connect(self._on_remote_models)
        self._remote_client.settingsLoaded.connect(self._on_remote_settings)
        self._remote_client.networkChanged.connect(lambda _on: self._rebuild())

    def minimumSizeHint(self) -> QSize:
        """As wide as its longest model name: the chat's buttons beside it wrap instead, and
        the name is never cut (QComboBox's own hint is that of its first contents only)."""
        return self.sizeHint()

    def _on_models(self, models: list[InstalledModel], _machine: object) -> None:
        self._local = []
        for model in models:
            if model.available:
                label = model.name
                if model.details and model.details.size_label:
                    label += f"  · {model.details.size_label}"
                self._local.append((label, str(model.path)))
        self._rebuild()

    def _on_remote_models(self, endpoint: str, models: list[RemoteModelListing]) -> None:
        self._remote[endpoint] = models
        self._rebuild()

    def _on_remote_settings(self, settings: RemoteSettings, _notice: object) -> None:
        kept = {e.name for e in settings.endpoints if e.enabled}
        self._remote = {name: models for name, models in self._remote.items() if name in kept}
        self._rebuild()

    def _rebuild(self) -> None:
        self.blockSignals(True)
        self.clear()
        for label, path in self._local:
            self.addItem(label)
            self.setItemData(self.count() - 1, path, PATH_ROLE)
            self.setItemData(self.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        network_on = self._remote_client.network_on
        for endpoint, models in self._remote.items():
            for model in models:
                key = model_key_for(endpoint, model.id)
                self.addItem(f"{model.id}  {translated('models.picker', REMOTE_MARK)} ({endpoint})")
                index = self.count() - 1
                self.setItemData(index, key, PATH_ROLE)
                self.setItemData(index, key if network_on else
                                 f"{key}\n{translated('remote.client', NETWORK_OFF_TEXT)}",
                                 Qt.ItemDataRole.ToolTipRole)
                items = self.model()
                if not network_on and isinstance(items, QStandardItemModel):
                    items.item(index).setEnabled(False)
        self._select_loaded()
        self.blockSignals(False)

    def _on_loading(self, name: str) -> None:
        self.setEnabled(False)
        self.setToolTip(self.tr("Loading {name}…").format(name=name))

    def _on_loaded(self, loaded: LoadedModel | RemoteModel, _backend: object) -> None:
        self._loaded = model_key(loaded)
        self.setEnabled(True)
        self.setToolTip(self.tr("The model answering in this window; pick another to switch"))
        self.blockSignals(True)
        self._select_loaded()
        self.blockSignals(False)

    def _select_loaded(self) -> None:
        index = self.findData(self._loaded, PATH_ROLE)
        if index >= 0:
            self.setCurrentIndex(index)

    def _picked(self, index: int) -> None:
        path = self.itemData(index, PATH_ROLE)
        if path and path != self._loaded:
            self._client.load_model(str(path))
