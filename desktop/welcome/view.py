"""The welcome: the first tab on a first start, until its job is done.

It says what Hearth is, that the bundled model is ready (Start chatting goes to the chat), and
which catalog model to get next: the largest predicted to write at least 10 tokens/s here that
fits in memory (engine/models/speed.py), with one Download button that goes through the Models
tab's own path (the models worker lists the Hub's files, then downloads the one chosen).

A first start is one where the welcome was never dismissed and no chat has a message yet (so
people who chatted before the welcome existed never see it). It goes for good when the first
reply starts or on Don't show again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.engine_client import EngineClient
from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.models.downloads_model import describe
from engine.chat.store import ChatRecord
from engine.config import AppConfig
from engine.host.runtime import LoadedModel
from engine.models.catalog import CATALOG
from engine.models.downloads import DownloadEvent, DownloadState
from engine.models.hub import QuantOption
from engine.models.library import InstalledModel
from engine.models.memory import MachineMemory, format_bytes
from engine.models.speed import (
    TARGET_TOKENS_PER_SECOND,
    Recommendation,
    SpeedCalibration,
    recommend,
    speed_text,
)
from engine.remote.engine import RemoteModel

BUNDLED_NAME = "SmolLM2-135M"
CONTENT_WIDTH = 720
INTRO = (QT_TRANSLATE_NOOP("welcome.view", "Hearth is an AI chat that runs entirely on this "
                                           "computer. It works offline, and what "
         "you write stays here: nothing is sent anywhere."))


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class WelcomeView(QWidget):
    def __init__(self, client: EngineClient, tabs: QTabWidget, chat: QWidget, composer: QWidget,
                 models: QWidget) -> None:
        super().__init__(tabs)
        self.hide()  # until a first start is known: then it becomes the first tab
        self._client = client
        self._tabs, self._chat, self._composer, self._models_page = tabs, chat, composer, models
        self._welcomed: bool | None = None
        self._chats_used: bool | None = None
        self.done = False
        self._calibration: SpeedCalibration | None = None
        self._measure_problem = ""
        self._machine: MachineMemory | None = None
        self._n_ctx = AppConfig().runtime.n_ctx
        self._installed: list[InstalledModel] = []
        self._loaded_path: str | None = None
        self.recommendation: Recommendation | None = None
        self._asked: tuple[str, str] | None = None  # repo id, quantization: files requested
        self._download: tuple[str, str] | None = None  # repo id, name: the download started
        self._downloaded: Path | None = None
        self._build()

        first_run = client.first_run
        first_run.loaded.connect(self._on_first_run_state)
        first_run.calibrated.connect(self._on_calibrated)
        first_run.measureFailed.connect(self._on_measure_failed)
        client.chatsListed.connect(self._on_chats)
        client.configLoaded.connect(self._on_config)
        client.modelLoading.connect(self._on_model_loading)
        client.modelLoaded.connect(self._on_model_loaded)
        client.modelFailed.connect(
            lambda why: self.ready_label.setText(self.tr("The model could not be loaded: {why}")
                                                 .format(why=why)))
        client.replyStarted.connect(lambda *_args: self.finish())
        worker = client.models
        worker.modelsListed.connect(self._on_models)
        worker.repoFiles.connect(self._on_repo_files)
        worker.repoFailed.connect(self._on_repo_failed)
        worker.downloadChanged.connect(self._on_download)
        worker.errorOccurred.connect(self._on_models_error)

    # Layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel(self.tr("Welcome to Hearth"))
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        intro = QLabel(translated("welcome.view", INTRO))
        intro.setWordWrap(True)

        ready = QGroupBox(self.tr("Ready now"))
        self.ready_label = QLabel(self.tr("{BUNDLED_NAME}, the model that comes with Hearth, is "
                                          "loading…").format(BUNDLED_NAME=translated(
                                                            "welcome.view", BUNDLED_NAME)))
        self.ready_label.setWordWrap(True)
        self.start_button = QPushButton(self.tr("Start chatting"))
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_chatting)
        ready_row = QHBoxLayout(ready)
        ready_row.addWidget(self.ready_label, 1)
        ready_row.addWidget(self.start_button)

        suggestion = QGroupBox(self.tr("A bigger model for this computer"))
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.model_label.setTextFormat(Qt.TextFormat.RichText)
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setAccessibleName(self.tr("Recommended model"))
        self.why_label = _muted()
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.clicked.connect(self.download)
        self.download_status = QLabel()
        self.download_status.setWordWrap(True)
        self.download_status.setAccessibleName(self.tr("Download status"))
        download_row = QHBoxLayout()
        download_row.addWidget(self.download_button)
        download_row.addWidget(self.download_status, 1)
        column = QVBoxLayout(suggestion)
        for label in (self.model_label, self.details_label, self.why_label):
            column.addWidget(label)
        column.addLayout(download_row)

        catalog_link = QLabel(
            self.tr('<a href="models">Every catalog model, with its predicted speed '
                              "here, is in the Models tab.</a>"))
        catalog_link.setTextFormat(Qt.TextFormat.RichText)
        catalog_link.linkActivated.connect(lambda _link: self._tabs.setCurrentWidget(
            self._models_page))
        self.dismiss_button = QPushButton(self.tr("Don't show again"))
        self.dismiss_button.clicked.connect(self.finish)
        footer = QHBoxLayout()
        footer.addWidget(catalog_link, 1)
        footer.addWidget(self.dismiss_button)

        content = QWidget()
        content.setMaximumWidth(CONTENT_WIDTH)
        layout = QVBoxLayout(content)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(ready)
        layout.addWidget(suggestion)
        layout.addLayout(footer)
        layout.addStretch(1)
        page = QWidget()
        centred = QHBoxLayout(page)
        centred.setContentsMargins(24, 32, 24, 24)
        centred.addStretch(1)
        centred.addWidget(content, 100)
        centred.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._show_recommendation()

    # Showing and going -------------------------------------------------------------------

    def _on_first_run_state(self, welcomed: bool, _calibration: object) -> None:
        self._welcomed = welcomed
        self._decide()

    def _on_chats(self, chats: list[ChatRecord]) -> None:
        if self._chats_used is None:
            # A chat's updated_at moves with its first message (renames leave it).
            self._chats_used = any(chat.updated_at > chat.created_at for chat in chats)
            self._decide()

    def _decide(self) -> None:
        if self._welcomed is None or self._chats_used is None or self._welcomed or self.done:
            return
        if self._chats_used:  # chatting before the welcome existed: nothing to welcome to
            self.done = True
            self._client.first_run.mark_welcomed()
            return
        self._tabs.insertTab(0, self, self.tr("Welcome"))
        self._tabs.setCurrentWidget(self)
        self._client.first_run.measure()

    @property
    def shown(self) -> bool:
        return not self.done and self._tabs.indexOf(self) >= 0

    def start_chatting(self) -> None:
        self._tabs.setCurrentWidget(self._chat)
        self._composer.setFocus()

    def finish(self) -> None:
        """Its job is done: gone now, and not shown at the next start."""
        if self.done or self._welcomed is not False:
            return
        self.done = True
        if self._tabs.indexOf(self) >= 0:
            self._tabs.removeTab(self._tabs.indexOf(self))
            self.hide()
        self._client.first_run.mark_welcomed()

    # The model ready now -----------------------------------------------------------------

    def _on_model_loading(self, name: str) -> None:
        self.ready_label.setText(self.tr("Loading {name}…").format(name=name))

    def _on_model_loaded(self, loaded: LoadedModel | RemoteModel, _backend: object) -> None:
        self._loaded_path = str(loaded.path) if isinstance(loaded, LoadedModel) else None
        self._show_ready(loaded)

    def _show_ready(self, loaded: LoadedModel | RemoteModel | None = None) -> None:
        model = next((m for m in self._installed if str(m.path) == self._loaded_path), None)
        if model is not None and model.origin.kind == "bundled":
            self.ready_label.setText(self.tr("✔ {BUNDLED_NAME} is ready — start chatting. It comes "
                                             "with Hearth: small and quick, good for short "
                                             "questions.").format(BUNDLED_NAME=translated(
                                                            "welcome.view", BUNDLED_NAME)))
        elif model is not None or loaded is not None:
            name = model.name if model is not None else getattr(loaded, "name", "")
            self.ready_label.setText(self.tr("✔ {name} is ready — start chatting.")
                                     .format(name=name))

    # The recommendation ------------------------------------------------------------------

    def _on_models(self, models: list[InstalledModel], machine: MachineMemory) -> None:
        self._installed, self._machine = models, machine
        if self._loaded_path is not None:
            self._show_ready()
        self._show_recommendation()

    def _on_config(self, config: AppConfig, _notice: object) -> None:
        self._n_ctx = config.runtime.n_ctx
        self._show_recommendation()

    def _on_calibrated(self, calibration: SpeedCalibration) -> None:
        self._calibration = calibration
        self._show_recommendation()

    def _on_measure_failed(self, why: str) -> None:
        self._measure_problem = why
        self._show_recommendation()

    def _show_recommendation(self) -> None:
        busy = self._asked is not None or self._download is not None
        if self._calibration is None or self._machine is None:
            self.recommendation = None
            self.model_label.setText(self.tr("<b>Measuring how fast this computer writes…</b>"))
            self.details_label.setText(
                self.tr("A few seconds with {BUNDLED_NAME}, once: the catalog's speeds are "
                        "predicted from it.").format(BUNDLED_NAME=translated("welcome.view",
                                                            BUNDLED_NAME)))
            self.why_label.setText(self._measure_problem)
            self.download_button.hide()
            return
        chosen = recommend(CATALOG, self._calibration, self._machine, self._n_ctx)
        if not busy:  # the download under way stays the one shown
            self.recommendation = chosen
        shown = self.recommendation
        assert shown is not None
        measured = (self.tr("Predicted from this computer's measured speed ({stem} wrote "
                            "{tokens_per_second:.0f} tokens a second).")
                    .format(stem=Path(self._calibration.model).stem,
                            tokens_per_second=self._calibration.tokens_per_second))
        if shown.model is None or shown.file is None or shown.tokens_per_second is None:
            self.model_label.setText(self.tr("<b>{BUNDLED_NAME} suits this computer best for "
                                             "now</b>").format(BUNDLED_NAME=translated(
                                                            "welcome.view", BUNDLED_NAME)))
            self.details_label.setText(shown.reason)
            self.why_label.setText(measured)
            self.download_button.hide()
            return
        file, estimate = shown.file, shown.fit.estimate if shown.fit else None
        self.model_label.setText(f"<b>{shown.model.name}</b> — {say(shown.model.description)}")
        memory = (self.tr(" · needs {format_bytes} of memory")
                  .format(format_bytes=format_bytes(estimate.total_bytes))
                  if estimate is not None else "")
        self.details_label.setText(
            self.tr("{quantization} · {format_bytes} download · {speed_text} here{memory}")
            .format(quantization=file.quantization, format_bytes=format_bytes(file.size_bytes),
                    speed_text=speed_text(shown.tokens_per_second), memory=memory))
        self.why_label.setText(
            self.tr("The largest catalog model predicted to write at least "
                    "{TARGET_TOKENS_PER_SECOND:.0f} tokens a second here that fits in this "
                    "computer's memory. {measured}")
            .format(TARGET_TOKENS_PER_SECOND=TARGET_TOKENS_PER_SECOND,
                    measured=measured))
        installed = next((m for m in self._installed if m.path.name == file.file_name), None)
        if installed is not None and self._downloaded is None and not busy:
            self._downloaded = installed.path
            self.download_status.setText(self.tr("Already on this computer."))
        self.download_button.setText(
            self.tr("Use it now") if self._downloaded else self.tr("Download"))
        self.download_button.show()

    # The download: the Models tab's own path ---------------------------------------------

    def download(self) -> None:
        shown = self.recommendation
        if self._downloaded is not None:
            self._client.load_model(str(self._downloaded))
            self.start_chatting()
            return
        if shown is None or shown.model is None or shown.file is None:
            return
        self._asked = (shown.model.repo_id, shown.file.quantization)
        self.download_button.setEnabled(False)
        self.download_status.setText(self.tr("Asking Hugging Face for {file_name}…")
                                     .format(file_name=shown.file.file_name))
        self._client.models.list_repo(shown.model.repo_id)

    def _on_repo_files(self, repo_id: str, options: list[QuantOption]) -> None:
        if self._asked is None or self._asked[0] != repo_id:
            return
        quant = self._asked[1]
        self._asked = None
        option = next((o for o in options if o.quant.casefold() == quant.casefold()), None)
        if option is None:
            self.download_button.setEnabled(True)
            self.download_status.setText(self.tr("{repo_id} no longer offers {quant}; the Models "
                                                 "tab lists what it has.")
                                         .format(repo_id=repo_id, quant=quant))
            return
        self._download = (option.repo_id, option.name)
        self.download_status.setText(self.tr("Starting…"))
        self._client.models.download(option)

    def _on_repo_failed(self, repo_id: str, why: str) -> None:
        if self._asked is not None and self._asked[0] == repo_id:
            self._asked = None
            self.download_button.setEnabled(True)
            self.download_status.setText(why)

    def _on_models_error(self, why: str) -> None:
        if self._download is not None and self.download_status.text() == self.tr("Starting…"):
            self._download = None
            self.download_button.setEnabled(True)
            self.download_status.setText(why)

    def _on_download(self, event: DownloadEvent) -> None:
        if self._download != (event.repo_id, event.name):
            return
        self.download_status.setText(describe(event))
        if event.state == DownloadState.DONE and event.paths:
            self._downloaded = event.paths[0]
        if event.state in (DownloadState.DONE, DownloadState.FAILED, DownloadState.CANCELLED):
            self._download = None
            self.download_button.setEnabled(True)
            self.download_button.setText(
                self.tr("Use it now") if self._downloaded else self.tr("Download"))
