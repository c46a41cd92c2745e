"""The model picker beside the chat: shows the model in use and switches to another."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from desktop.engine_client import EngineClient
from engine.model_library import InstalledModel
from engine.runtime import LoadedModel

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


class ModelPicker(QComboBox):
    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._loaded: str | None = None
        self.setAccessibleName("Model")
        self.setToolTip("The model answering in this window; pick another to switch")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.activated.connect(self._picked)
        client.models.modelsListed.connect(self._on_models)
        client.modelLoading.connect(self._on_loading)
        client.modelLoaded.connect(self._on_loaded)
        client.modelFailed.connect(lambda _why: self.setEnabled(True))

    def _on_models(self, models: list[InstalledModel], _machine: object) -> None:
        self.blockSignals(True)
        self.clear()
        for model in models:
            if model.available:
                label = model.name
                if model.details and model.details.size_label:
                    label += f"  · {model.details.size_label}"
                self.addItem(label)
                self.setItemData(self.count() - 1, str(model.path), PATH_ROLE)
                self.setItemData(self.count() - 1, str(model.path),
                                 Qt.ItemDataRole.ToolTipRole)
        self._select_loaded()
        self.blockSignals(False)

    def _on_loading(self, name: str) -> None:
        self.setEnabled(False)
        self.setToolTip(f"Loading {name}…")

    def _on_loaded(self, loaded: LoadedModel, _backend: object) -> None:
        self._loaded = str(loaded.path)
        self.setEnabled(True)
        self.setToolTip("The model answering in this window; pick another to switch")
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
