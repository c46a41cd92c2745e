"""The Models tab: what is installed, what to get (curated or from a Hub search), downloads.

A view over the models worker's state: every action is a request to the worker, and the tables
change only when the worker reports back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.empty_state import EmptyState
from desktop.engine_client import EngineClient
from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.models.downloads_model import DownloadDelegate, DownloadsModel, paused_event
from desktop.models.tables import (
    FileListModel,
    FileRow,
    InstalledModelsModel,
    RepoListModel,
    RepoRow,
    catalog_rows,
    file_rows,
    search_rows,
)
from desktop.remote.panel import RemoteEnginesPanel
from engine.chat.builtin_templates import BUILTIN_TEMPLATES
from engine.chat.templates import CONTINUATION_NAME, CUSTOM, TemplateChoice
from engine.config import AppConfig
from engine.host.runtime import LoadedModel
from engine.models.catalog import CATALOG
from engine.models.downloads import DownloadEvent, DownloadState, PartialDownload
from engine.models.hub import QuantOption, RepoSummary
from engine.models.library import InstalledModel
from engine.models.memory import MachineMemory, format_bytes
from engine.models.speed import SpeedCalibration
from engine.remote.engine import RemoteModel

SORTS = ((QT_TRANSLATE_NOOP("models.tab", "Most downloaded"), "downloads"), (QT_TRANSLATE_NOOP(
                                                            "models.tab", "Recently updated"),
                                                            "recent"))
NO_MODELS = (QT_TRANSLATE_NOOP("models.tab", "No models yet. Pick one under Get models and press "
                                             "Download, or Import… a .gguf "
             "file from this computer."))
NO_DOWNLOADS = QT_TRANSLATE_NOOP("models.tab", "No downloads. Pick a model under Get models, then "
                                               "one of its files, and Download.")
NOTHING_FOUND = QT_TRANSLATE_NOOP("models.tab", "Nothing found. Try other words, or Recommended "
                                                "for the catalog.")


def _table(model: object) -> QTableView:
    view = QTableView()
    view.setModel(model)  # type: ignore[arg-type]
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class ModelsTab(QWidget):
    # The loaded model's ContextRoom (None: none, or not one of these): what the longest
    # context that fits it here depends on, for the settings' offer.
    contextRoomChanged = Signal(object)

    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._models = client.models
        self._search_number = 0
        self._repo: RepoRow | None = None
        self._hub_files: dict[str, list[QuantOption]] = {}
        self._template_verdicts: dict[str, str] = {}  # repo id: what its template does here
        self._loaded_held: tuple[int, int] | None = None  # the loaded model's n_ctx, cache bits
        self._config: AppConfig | None = None
        self.setAcceptDrops(True)

        self.installed = InstalledModelsModel()
        self.repos = RepoListModel()
        self.files = FileListModel()
        self.downloads = DownloadsModel()

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_installed())
        splitter.addWidget(self._build_get())
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([560, 540])
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #c62828;")
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.problem_label)
        layout.addWidget(splitter, 3)
        self.remote_panel = RemoteEnginesPanel(client, self)
        layout.addWidget(self.remote_panel, 1)

        self.repos.set_rows(catalog_rows(CATALOG))
        self._models.modelsListed.connect(self._on_models)
        self._models.hubResults.connect(self._on_results)
        self._models.hubFailed.connect(self._on_search_failed)
        self._models.repoFiles.connect(self._on_repo_files)
        self._models.repoFailed.connect(self._on_repo_failed)
        self._models.repoTemplate.connect(self._on_repo_template)
        self._models.downloadChanged.connect(self._on_download)
        self._models.unfinishedDownloads.connect(self._on_unfinished)
        self._models.importProgress.connect(self._on_import_progress)
        self._models.importEnded.connect(self._on_import_ended)
        self._models.errorOccurred.connect(self.show_problem)
        client.configLoaded.connect(self._on_config)
        client.modelLoaded.connect(self._on_model_loaded)
        client.first_run.calibrated.connect(self._on_speed)
        if client.first_run.calibration is not None:
            self._on_speed(client.first_run.calibration)
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._client.first_run.measure()  # for the speed columns; once per computer

    # Layout ------------------------------------------------------------------------------

    def _build_installed(self) -> QWidget:
        box = QWidget(self)
        self.machine_label = QLabel()
        self.machine_label.setWordWrap(True)
        self.installed_view = _table(self.installed)
        self.installed_view.setAccessibleName(self.tr("Installed models"))
        self.installed_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.installed_view.doubleClicked.connect(lambda _index: self.use_selected())
        EmptyState(self.installed_view, translated("models.tab", NO_MODELS))
        self.use_button = QPushButton(self.tr("Use now"))
        self.use_button.clicked.connect(self.use_selected)
        self.default_button = QPushButton(self.tr("Set as default"))
        self.default_button.clicked.connect(self.make_selected_default)
        self.draft_button = QPushButton(self.tr("Use as draft"))
        self.draft_button.clicked.connect(self.toggle_selected_draft)
        self.import_button = QPushButton(self.tr("Import…"))
        self.import_button.setToolTip(self.tr("Add a .gguf file from this computer (or drop it "
                                              "here)"))
        self.import_button.clicked.connect(self.choose_import)
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.delete_button.clicked.connect(self.delete_selected)
        self.template_button = QPushButton(self.tr("Chat template…"))
        self.template_button.setToolTip(self.tr("How Hearth reads the conversation to this model: "
                                                "its "
                                        "own template, a built-in one, or none (a base model)"))
        self.template_button.clicked.connect(self.choose_template)
        buttons = QHBoxLayout()
        for button in (self.use_button, self.default_button, self.draft_button,
                       self.import_button, self.template_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.import_label = QLabel()
        self.import_label.hide()

        self.downloads_view = QListView()
        self.downloads_view.setModel(self.downloads)
        self.downloads_view.setItemDelegate(DownloadDelegate(self.downloads_view))
        self.downloads_view.setAccessibleName(self.tr("Downloads"))
        EmptyState(self.downloads_view, translated("models.tab", NO_DOWNLOADS))
        self.downloads_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.clicked.connect(lambda: self._on_selected_download("pause"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.resume_button.clicked.connect(lambda: self._on_selected_download("resume"))
        self.cancel_button = QPushButton(self.tr("Cancel download"))
        self.cancel_button.clicked.connect(lambda: self._on_selected_download("cancel"))
        download_buttons = QHBoxLayout()
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            download_buttons.addWidget(button)
        download_buttons.addStretch(1)

        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading(self.tr("On this computer")))
        layout.addWidget(self.machine_label)
        layout.addWidget(self.installed_view, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.import_label)
        layout.addWidget(_heading(self.tr("Downloads")))
        layout.addWidget(self.downloads_view, 2)
        layout.addLayout(download_buttons)
        return box

    def _build_get(self) -> QWidget:
        box = QWidget(self)
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText(self.tr("Search Hugging Face for GGUF models, e.g. "
                                                     "qwen"))
        self.search_field.setClearButtonEnabled(True)
        self.search_field.returnPressed.connect(self.search)
        self.sort_box = QComboBox()
        for label, key in translated("models.tab", SORTS):
            self.sort_box.addItem(label, key)
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.clicked.connect(self.search)
        self.recommended_button = QPushButton(self.tr("Recommended"))
        self.recommended_button.clicked.connect(self.show_recommended)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_field, 1)
        search_row.addWidget(self.sort_box)
        search_row.addWidget(self.search_button)
        search_row.addWidget(self.recommended_button)
        self.repo_status = QLabel(self.tr("Recommended chat models for a desktop, with the speed "
                                  "predicted on this computer. Search needs the "
                                  "network; everything else works offline."))
        self.repo_status.setWordWrap(True)
        self.repo_view = _table(self.repos)
        self.repo_view.setAccessibleName(self.tr("Models to get"))
        EmptyState(self.repo_view, translated("models.tab", NOTHING_FOUND))
        self.repo_view.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        self.repo_view.horizontalHeader().setStretchLastSection(False)  # About takes the room
        self.repo_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._open_repo(current.row()))

        self.files_status = QLabel(self.tr("Pick a model to see its files."))
        self.files_status.setWordWrap(True)
        self.file_view = _table(self.files)
        self.file_view.setAccessibleName(self.tr("Files of the model"))
        self.file_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.file_view.doubleClicked.connect(lambda _index: self.download_selected())
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.clicked.connect(self.download_selected)
        self.token_button = QPushButton(self.tr("Hugging Face token…"))
        self.token_button.setToolTip(self.tr("For gated models: stored in the system keyring, or "
                                             "in a "
                                     "file only you can read"))
        self.token_button.clicked.connect(self.ask_token)
        file_buttons = QHBoxLayout()
        file_buttons.addWidget(self.download_button)
        file_buttons.addStretch(1)
        file_buttons.addWidget(self.token_button)

        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading(self.tr("Get models")))
        layout.addLayout(search_row)
        layout.addWidget(self.repo_status)
        layout.addWidget(self.repo_view, 3)
        layout.addWidget(self.files_status)
        layout.addWidget(self.file_view, 2)
        layout.addLayout(file_buttons)
        return box

    # Installed models --------------------------------------------------------------------

    def selected_model(self) -> InstalledModel | None:
        rows = self.installed_view.selectionModel().selectedRows()
        return self.installed.row_object(rows[0].row()) if rows else None

    def select_model(self, key: str) -> None:
        row = self.installed.row_of_key(key)
        if row >= 0:
            self.installed_view.selectionModel().setCurrentIndex(
                self.installed.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def use_selected(self) -> None:
        model = self.selected_model()
        if model is not None and model.available:
            self._client.load_model(str(model.path))

    def make_selected_default(self) -> None:
        model = self.selected_model()
        if model is not None:
            self._client.set_default_model(model.key)

    def toggle_selected_draft(self) -> None:
        """The selected model drafts the loaded one's replies, or stops drafting them."""
        model = self.selected_model()
        loaded = self.installed.loaded_path
        if model is None or loaded is None:
            return
        drafting = str(model.path) == self.installed.draft_path
        self._client.set_draft_model(loaded, "" if drafting else str(model.path))

    def delete_selected(self) -> None:
        model = self.selected_model()
        if model is None:
            return
        what = (self.tr("Stop listing") if model.origin.kind == "referenced" else self.tr("Delete"))
        detail = (self.tr("The file stays where it is.") if model.origin.kind == "referenced"
                  else self.tr("This deletes {format_bytes} from {parent}.")
                       .format(format_bytes=format_bytes(model.size_bytes),
                               parent=model.path.parent))
        answer = QMessageBox.question(
            self, f"{what} {model.name}?", f"{what} {model.name}? {detail}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._models.delete(model.key)

    def choose_template(self) -> None:
        """Asks which template to read the selected model with; a loaded model is loaded again
        with it (the models worker and the engine share a thread, so the choice is saved first)."""
        model = self.selected_model()
        if model is None or model.template is None:
            return
        choices: dict[str, TemplateChoice | None] = {"Hearth's choice": None}
        choices.update({name: TemplateChoice(name) for name in BUILTIN_TEMPLATES})
        choices["None: continue the text (a base model)"] = TemplateChoice(CONTINUATION_NAME)
        own = self.tr("Jinja from a file…")
        labels = [*choices, own]
        current = model.template_choice
        at = 0 if current is None else next(
            (i for i, label in enumerate(labels) if choices.get(label) == current), len(labels) - 1)
        label, accepted = QInputDialog.getItem(
            self, self.tr("Chat template"), self.tr("{name} is read with: {describe}.\n\nRead it "
                                                    "with:")
                                            .format(name=model.name,
                                                    describe=model.template.describe(
                                                )), labels, at, False)
        if not accepted:
            return
        choice = choices.get(label)
        if label == own:
            path, _filter = QFileDialog.getOpenFileName(
                self, self.tr("A Jinja chat template"), "", self.tr("Jinja templates (*.jinja *.j2 "
                                                                    "*.txt);;"
                "All files (*)"))
            if not path:
                return
            try:
                choice = TemplateChoice(CUSTOM, Path(path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as error:
                self.show_problem(self.tr("Cannot read {path}: {error}")
                                  .format(path=path, error=error))
                return
        self.show_problem("")
        self._models.set_template(model.key, choice)
        if str(model.path) == self.installed.loaded_path:
            self._client.load_model(str(model.path))

    def choose_import(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Import a model file"), "", self.tr("GGUF models (*.gguf);;All files "
                                                              "(*)"))
        if path:
            self.import_path(path)

    def import_path(self, path: str, reference: bool | None = None) -> None:
        """Imports a file; without `reference`, asks whether to copy it or use it in place."""
        if reference is None:
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("Import a model"),
                              self.tr("How should Hearth keep {name}?")
                              .format(name=Path(path).name), parent=self)
            copy = box.addButton(self.tr("Copy into Hearth's models folder"),
                                 QMessageBox.ButtonRole.AcceptRole)
            keep = box.addButton(self.tr("Use it where it is"), QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            if box.clickedButton() not in (copy, keep):
                return
            reference = box.clickedButton() is keep
        self.show_problem("")
        self._models.import_file(path, reference)
        self.import_label.setText(self.tr("Checking {name}…").format(name=Path(path).name))
        self.import_label.show()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls()[:1]:
            self.import_path(url.toLocalFile())
        event.acceptProposedAction()

    # Getting models ------------------------------------------------------------------------

    def show_recommended(self) -> None:
        self._search_number = 0
        self.search_field.clear()
        self.repos.set_rows(catalog_rows(CATALOG))
        self.repo_status.setText(self.tr("Recommended chat models for a desktop."))
        self._clear_files()

    def search(self) -> None:
        query = self.search_field.text().strip()
        if not query:
            self.show_recommended()
            return
        self._search_number = self._models.search(query, str(self.sort_box.currentData()))
        self.repo_status.setText(self.tr("Searching Hugging Face for “{query}”…")
                                 .format(query=query))

    def _open_repo(self, row: int) -> None:
        repo = self.repos.row_object(row)
        self._repo = repo
        if repo is None:
            self._clear_files()
            return
        known = self._hub_files.get(repo.repo_id)
        self.files.set_rows(file_rows(repo.catalog, known))
        if known is None:
            self._models.list_repo(repo.repo_id)
            self.files_status.setText(self.tr("Files of {repo_id}: asking the Hub for exact sizes…")
                                      .format(repo_id=repo.repo_id)
                                      if repo.catalog else self.tr("Listing the files of "
                                                                   "{repo_id}…")
                                                           .format(repo_id=repo
                                                .repo_id))
        else:
            self._show_files_status(repo, known)
        self._update_buttons()

    def _clear_files(self) -> None:
        self._repo = None
        self.files.set_rows([])
        self.files_status.setText(self.tr("Pick a model to see its files."))
        self._update_buttons()

    def _show_files_status(self, repo: RepoRow, options: list[QuantOption]) -> None:
        if not options:
            self.files_status.setText(self.tr("{repo_id} has no GGUF chat model files.")
                                      .format(repo_id=repo.repo_id))
            return
        verdict = self._template_verdicts.get(repo.repo_id, "")
        self.files_status.setText(
            f"Files of {repo.repo_id}: memory needed at {self.files.n_ctx:,} tokens of context, "
            f"the model plus its context cache. {verdict}".rstrip())

    def selected_file(self) -> FileRow | None:
        rows = self.file_view.selectionModel().selectedRows()
        return self.files.row_object(rows[0].row()) if rows else None

    def download_selected(self) -> None:
        file = self.selected_file()
        if file is None or file.option is None:
            return
        self.show_problem("")
        self._models.download(file.option)

    def ask_token(self) -> None:
        token, accepted = QInputDialog.getText(
            self, self.tr("Hugging Face token"),
            self.tr("Paste a token from huggingface.co/settings/tokens (read access is enough).\n"
            "Leave it empty to forget the stored token."), QLineEdit.EchoMode.Password)
        if accepted:
            self._models.set_token(token)

    # Downloads -----------------------------------------------------------------------------

    def _selected_download(self) -> DownloadEvent | None:
        rows = self.downloads_view.selectionModel().selectedRows()
        return self.downloads.event_at(rows[0].row()) if rows else None

    def _on_selected_download(self, action: str) -> None:
        event = self._selected_download()
        if event is not None:
            getattr(self._models, action)(event.download_id)

    # Worker reports ------------------------------------------------------------------------

    def _on_models(self, models: list[InstalledModel], machine: MachineMemory) -> None:
        selected = self.selected_model()
        # Measured after the latest load (the engine thread reports in order): the memory the
        # loaded model holds is in use, and counts as free for it.
        self.installed.loaded_held = self._loaded_held
        self.installed.set_rows(models)
        self._set_machine(machine)
        if selected is not None:
            self.select_model(selected.key)
        self._update_buttons()
        self.contextRoomChanged.emit(self.installed.loaded_room())

    def _set_machine(self, machine: MachineMemory) -> None:
        for table in (self.installed, self.files):
            table.set_context(self.installed.n_ctx, machine)
        parts = []
        if machine.total_bytes:
            parts.append(self.tr("RAM {format_bytes}")
                         .format(format_bytes=format_bytes(machine.total_bytes)))
            if machine.available_bytes:
                parts[-1] += self.tr(", {format_bytes} free").format(format_bytes=format_bytes(
                                                            machine.available_bytes))
        if machine.gpu_free_bytes is not None:
            parts.append(self.tr("GPU {value}: {format_bytes} free")
                         .format(value=machine.gpu_name or '',
                                 format_bytes=format_bytes(machine.gpu_free_bytes)))
        bits = self.installed.kv_cache_bits
        parts.append(self.tr("memory shown for {n_ctx:,} tokens of context")
                     .format(n_ctx=self.installed.n_ctx)
                     + (self.tr(", the cache at {bits} bits")
                        .format(bits=bits) if bits != 16 else ""))
        self.machine_label.setText(" · ".join(parts))

    def _on_config(self, config: AppConfig, _notice: object) -> None:
        self._config = config
        self.installed.default_key = config.default_model
        self._show_draft()
        for table in (self.installed, self.files):
            table.set_context(config.runtime.n_ctx, kv_cache_bits=config.runtime.kv_cache_bits)
        self._set_machine(self.installed.machine)

    def _on_speed(self, calibration: SpeedCalibration) -> None:
        for table in (self.repos, self.files):
            table.set_speed(calibration)

    def _on_model_loaded(self, loaded: LoadedModel | RemoteModel, _backend: object) -> None:
        self.installed.loaded_path = (str(loaded.path) if isinstance(loaded, LoadedModel)
                                      else None)
        self._show_draft()
        self._loaded_held = ((loaded.settings.n_ctx, loaded.settings.kv_cache_bits)
                             if isinstance(loaded, LoadedModel) else None)
        # The memory was measured before this load: measure it again with the model in it.
        self.installed.loaded_held = None
        self.installed.set_context(self.installed.n_ctx)
        self.contextRoomChanged.emit(self.installed.loaded_room())
        self._models.refresh()

    def _show_draft(self) -> None:
        loaded = self.installed.loaded_path
        draft = (self._config.draft_for(Path(loaded))
                 if self._config is not None and loaded is not None else None)
        self.installed.set_draft(None if draft is None else str(draft))
        self._update_buttons()

    def _on_results(self, number: int, found: list[RepoSummary]) -> None:
        if number != self._search_number:
            return  # an older search, overtaken by a newer one
        self.repos.set_rows(search_rows(found, CATALOG))
        count = (self.tr("1 repository") if len(found) == 1
                 else self.tr("%n repositories", "", len(found)))
        self.repo_status.setText(self.tr("{count} with GGUF files.").format(count=count) if found
                                 else self.tr("No GGUF repositories match."))
        self._clear_files()

    def _on_search_failed(self, number: int, why: str) -> None:
        if number == self._search_number:
            self.repo_status.setText(why)

    def _on_repo_files(self, repo_id: str, options: list[QuantOption]) -> None:
        self._hub_files[repo_id] = options
        if self._repo is not None and self._repo.repo_id == repo_id:
            self.files.set_rows(file_rows(self._repo.catalog, options))
            self._show_files_status(self._repo, options)
            self._update_buttons()

    def _on_repo_template(self, repo_id: str, verdict: str, works: bool) -> None:
        catalog = next((model for model in CATALOG if model.repo_id == repo_id), None)
        if not works and catalog is not None:  # the catalog knows which built-in fits
            verdict += (self.tr(" Hearth's built-in {template_family} template has its format.")
                        .format(template_family=catalog.template_family))
        self._template_verdicts[repo_id] = verdict
        known = self._hub_files.get(repo_id)
        if self._repo is not None and self._repo.repo_id == repo_id and known:
            self._show_files_status(self._repo, known)

    def _on_repo_failed(self, repo_id: str, why: str) -> None:
        if self._repo is not None and self._repo.repo_id == repo_id:
            offline = (
                self.tr(" Sizes shown are the catalog's, approximate.") if self._repo.catalog else
                       "")
            self.files_status.setText(why + offline)

    def _on_download(self, event: DownloadEvent) -> None:
        self.downloads.update(event)
        if event.state == DownloadState.FAILED:
            self.show_problem(say(event.message or event.error or ""))
        self._update_buttons()

    def _on_unfinished(self, partials: list[PartialDownload]) -> None:
        for partial in partials:
            self.downloads.update(paused_event(partial))

    def _on_import_progress(self, name: str, done: int, total: int) -> None:
        self.import_label.setText(
            self.tr("Copying {name}: {format_bytes} of {format_bytes2}")
            .format(name=name, format_bytes=format_bytes(done),
                    format_bytes2=format_bytes(total)))

    def _on_import_ended(self, name: str, problem: str) -> None:
        self.import_label.setText(problem or self.tr("{name} imported.").format(name=name))
        if problem:
            self.show_problem(problem)

    def show_problem(self, text: str) -> None:
        """Problems show in the tab, not in a dialog: a download can fail while the person
        is chatting in another tab."""
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def _update_draft_button(self, model: InstalledModel | None) -> None:
        loaded = self.installed.loaded_path
        drafting = model is not None and str(model.path) == self.installed.draft_path
        self.draft_button.setText(self.tr("Stop drafting") if drafting
                                  else self.tr("Use as draft"))
        self.draft_button.setEnabled(drafting or (
            model is not None and model.available and loaded is not None
            and str(model.path) != loaded))
        name = Path(loaded).stem if loaded is not None else ""
        self.draft_button.setToolTip(
            self.tr("{model} answers without drafts from this model").format(model=name)
            if drafting else self.tr(
                "A smaller model with the same vocabulary drafts tokens that {model} checks in "
                "one batch: the same text, faster where the drafts are kept (used only where "
                "it pays)").format(model=name or self.tr("the loaded model")))

    def _update_buttons(self) -> None:
        model = self.selected_model()
        self.use_button.setEnabled(model is not None and model.available)
        self.default_button.setEnabled(model is not None and model.available)
        self._update_draft_button(model)
        self.delete_button.setEnabled(model is not None and model.origin.kind != "bundled")
        self.template_button.setEnabled(model is not None and model.template is not None)
        file = self.selected_file()
        self.download_button.setEnabled(file is not None and file.option is not None)
        event = self._selected_download()
        state = event.state if event else None
        self.pause_button.setEnabled(state in (DownloadState.QUEUED, DownloadState.RUNNING))
        self.resume_button.setEnabled(state in (DownloadState.PAUSED, DownloadState.FAILED))
        self.cancel_button.setEnabled(state not in (None, DownloadState.DONE,
                                                    DownloadState.CANCELLED))
