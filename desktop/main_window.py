"""The main window: lays out the panels, owns the menus, and wires panels to the engine."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from desktop.about import show_about
from desktop.api.panel import ApiPanel
from desktop.chat.list_model import UNTITLED
from desktop.chat.tab import ChatTab
from desktop.collections.tab import CollectionsTab
from desktop.engine_client import EngineClient
from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.models.tab import ModelsTab
from desktop.prompt_lab.tab import PromptLabTab
from desktop.remote.client import NETWORK_OFF_TEXT, NetworkAction
from desktop.scroll_page import scroll_when_small
from desktop.settings.panel import SettingsPanel
from desktop.status_bar import HearthStatusBar
from desktop.welcome.view import WelcomeView
from engine.chat.store import ChatRecord, MessageRecord
from engine.config import AppConfig
from engine.host.backend import BackendInfo
from engine.host.runtime import LoadedModel
from engine.settings import ChatSettings, SamplingSettings
from engine.text import Text

MINIMUM_SIZE = (900, 600)
EXPORT_FILTERS = {"markdown": (QT_TRANSLATE_NOOP("main_window", "Markdown (*.md)"), ".md"),
                  "json": (QT_TRANSLATE_NOOP("main_window", "JSON (*.json)"), ".json")}


class MainWindow(QMainWindow):
    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self._panel_shows: tuple[int, ChatSettings] | None = None
        self._backend: BackendInfo | None = None
        self.setWindowTitle(self.tr("Hearth"))
        self.resize(1100, 720)
        # The smallest size every tab holds, in English and Chinese, the settings dock open
        # too (tests/desktop/test_window_sizes.py).
        self.setMinimumSize(*MINIMUM_SIZE)

        self.chat_tab = ChatTab(client, self)
        self.sidebar, self.chat_panel = self.chat_tab.sidebar, self.chat_tab.chat_panel
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.chat_tab, self.tr("Chat"))
        self.models_tab = ModelsTab(client, self)
        self.tabs.addTab(self.models_tab, self.tr("Models"))
        self.prompt_lab_tab = PromptLabTab(client, self)
        self.tabs.addTab(self.prompt_lab_tab, self.tr("Prompt Lab"))
        self.collections_tab = CollectionsTab(client, self)
        self.tabs.addTab(self.collections_tab, self.tr("Collections"))
        # Tables and forms beside each other: below their size (the smallest window with the
        # settings dock open) these pages scroll; the Chat tab's own parts shrink and wrap.
        for page in (self.models_tab, self.prompt_lab_tab, self.collections_tab):
            scroll_when_small(page)
        self.prompt_lab_tab.chatStarted.connect(
            lambda _chat: self.tabs.setCurrentWidget(self.chat_tab))
        # On a first start it puts itself in front as the first tab.
        self.welcome = WelcomeView(client, self.tabs, self.chat_tab, self.chat_panel.composer,
                                   self.models_tab)
        self.setCentralWidget(self.tabs)

        self.settings_panel = SettingsPanel(self)
        self.settings_dock = QDockWidget(self.tr("Settings"), self)
        self.settings_dock.setObjectName("settings-dock")
        self.settings_dock.setWidget(self.settings_panel)
        self.api_panel = ApiPanel(client.api, self)
        self.settings_panel.tabs.addTab(self.api_panel, self.tr("API server"))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.settings_dock)
        self.settings_dock.hide()

        self.status = HearthStatusBar(client, self)
        self.setStatusBar(self.status)
        self._build_menus()

        self.chat_panel.notice.connect(lambda text: self.status.showMessage(text, 3000))
        # The chat's menu of collections follows those made, renamed and removed in their tab.
        self.collections_tab.client.results.collectionsListed.connect(
            lambda _records: self.chat_panel.refresh_collections())
        self.chat_panel.collectionsTabRequested.connect(
            lambda: self.tabs.setCurrentWidget(self.collections_tab))
        client.turnHeld.connect(lambda _chat, why: self.chat_panel.show_banner(why))
        self.sidebar.exportRequested.connect(self.export_chat)
        self.settings_panel.chatSettingsApplied.connect(self._apply_chat_settings)
        self.settings_panel.configApplied.connect(client.save_config)
        self.settings_panel.presetSaved.connect(self._save_preset)
        self.models_tab.contextRoomChanged.connect(self.settings_panel.set_context_room)
        worker = client
        worker.chatOpened.connect(self._on_chat_opened)
        worker.chatsListed.connect(self._on_chats_listed)
        worker.configLoaded.connect(self._on_config)
        worker.modelLoaded.connect(self._on_model_loaded)
        worker.errorOccurred.connect(lambda text: self.status.showMessage(text, 8000))
        self._restore_geometry()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self._add(file_menu,
            self.tr("&New chat"), QKeySequence.StandardKey.New, self.client.new_chat)
        self._add(file_menu, self.tr("Open &model file…"), QKeySequence("Ctrl+O"), self.open_model)
        self.network_action = NetworkAction(self.client, self)
        self.network_action.toggled.connect(lambda on: self.status.showMessage(
            self.tr("Remote engines are on.") if on else translated("remote.client",
                                                            NETWORK_OFF_TEXT), 8000))
        file_menu.addAction(self.network_action)
        file_menu.addSeparator()
        self._add(file_menu, self.tr("Export chat as &Markdown…"), None,
                  lambda: self.export_chat(self.chat_panel.chat_id, "markdown"))
        self._add(file_menu, self.tr("Export chat as &JSON…"), None,
                  lambda: self.export_chat(self.chat_panel.chat_id, "json"))
        file_menu.addSeparator()
        self._add(file_menu, self.tr("&Quit"), QKeySequence.StandardKey.Quit, self.close)

        edit_menu = self.menuBar().addMenu(self.tr("&Edit"))
        self._add(edit_menu, self.tr("&Find in chats"), QKeySequence.StandardKey.Find,
                  self.sidebar.focus_search)
        settings = self._add(edit_menu, self.tr("&Settings"), QKeySequence("Ctrl+,"),
                             self.toggle_settings)
        settings.setCheckable(False)

        chat_menu = self.menuBar().addMenu(self.tr("&Chat"))
        for action in (self.chat_panel.stop_action, self.chat_panel.regenerate_action,
                       self.chat_panel.edit_action, self.chat_panel.copy_action,
                       self.chat_panel.copy_code_action, self.chat_panel.previous_version_action,
                       self.chat_panel.next_version_action):
            chat_menu.addAction(action)
        chat_menu.addSeparator()
        chat_menu.addAction(self.sidebar.rename_action)
        chat_menu.addAction(self.sidebar.delete_action)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self._add(help_menu,
            self.tr("&About Hearth"), None, lambda: show_about(self, self._backend))

    def _add(self, menu: object, text: str,
             shortcut: QKeySequence | QKeySequence.StandardKey | None,
             slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)  # type: ignore[attr-defined]
        self.addAction(action)
        return action

    def bring_to_front(self) -> None:
        """Another start of Hearth asked for this window."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def toggle_settings(self) -> None:
        visible = not self.settings_dock.isVisible()
        self.settings_dock.setVisible(visible)
        if visible:
            self.settings_panel.setFocus()

    def open_model(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Open a model file"), "", self.tr("GGUF models (*.gguf);;All files (*)")
        )
        if path:
            self.client.load_model(path)

    def export_chat(self, chat_id: int | None, fmt: str) -> None:
        if chat_id is None:
            return
        name_filter, suffix = translated("main_window", EXPORT_FILTERS)[fmt]
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Export chat"), "", name_filter)
        if path:
            if not path.endswith(suffix):
                path += suffix
            self.client.export_chat(chat_id, path, fmt)

    def _show_title(self, chat: ChatRecord) -> None:
        self.setWindowTitle(self.tr("{value} — Hearth")
                            .format(value=chat.title or translated("chat.list_model", UNTITLED)))

    def _on_chats_listed(self, chats: list[ChatRecord]) -> None:
        """The open chat's title as it is now: renamed, or named by its first message."""
        for chat in chats:
            if chat.id == self.chat_panel.chat_id:
                self._show_title(chat)

    def _on_chat_opened(self, chat: ChatRecord, _messages: list[MessageRecord],
                        settings: ChatSettings) -> None:
        self._show_title(chat)
        # Refill the panel only when it would show something else: never wipe unapplied edits.
        if self._panel_shows != (chat.id, settings):
            self._panel_shows = (chat.id, settings)
            self.settings_panel.show_chat(settings, True)

    def _on_config(self, config: AppConfig, notice: Text | None) -> None:
        self.settings_panel.show_config(config)
        if notice is not None:
            QMessageBox.warning(self, self.tr("Settings reset"), say(notice))

    def _on_model_loaded(self, _model: LoadedModel, backend: BackendInfo) -> None:
        self._backend = backend
        self.settings_panel.set_gpu_available(backend.gpu_unavailable_reason)

    def _apply_chat_settings(self, overrides: dict[str, object]) -> None:
        if self.chat_panel.chat_id is not None:
            self.client.save_chat_settings(self.chat_panel.chat_id, overrides)

    def _save_preset(self, name: str, sampling: SamplingSettings) -> None:
        config = self.client.config
        presets = {**config.user_presets, name: sampling}
        self.client.save_config(dataclasses.replace(config, user_presets=presets))

    def _restore_geometry(self) -> None:
        stored = QSettings().value("window/geometry")
        if isinstance(stored, QByteArray):
            self.restoreGeometry(stored)
        state = QSettings().value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("window/geometry", self.saveGeometry())
        QSettings().setValue("window/state", self.saveState())
        self.hide()
        self.client.shutdown()
        super().closeEvent(event)
