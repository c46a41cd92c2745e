"""The chat panel: the conversation, its message actions and the composer.

A message with versions (an edited question, a regenerated reply) can show another: "‹ 2/3 ›"
on the message, the same beside the message actions (for the chosen message, else the last
one with versions), Alt+Left and Alt+Right in the conversation, and its menu. The engine thread
switches the version and sends the chat back as it then reads."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.chat.attachment_bar import AttachmentBar
from desktop.chat.composer import Composer
from desktop.chat.link_opener import open_link
from desktop.chat.message_model import (
    ANSWER_INSTEAD,
    MessageListModel,
    MessageRole,
    Source,
    version_text,
)
from desktop.chat.view import EMPTY_CHAT_NOTE, NEXT_VERSION, PREVIOUS_VERSION, ChatView
from desktop.empty_state import EmptyState
from desktop.engine_client import EngineClient
from desktop.engine_texts import say
from desktop.flow_layout import FlowLayout
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.models.picker import ModelPicker
from desktop.settings.texts import setting_text
from engine.chat.export import code_blocks
from engine.chat.reasoning import has_thinking_switch
from engine.chat.repetition import finish_sentence
from engine.chat.service import ContextView
from engine.chat.store import ChatRecord, MessageRecord
from engine.chat.templates import continuation_note
from engine.documents.collections import CollectionRecord
from engine.documents.reading import Document
from engine.documents.route import Route
from engine.documents.summarize import SummaryOptions
from engine.host.runtime import GenerationDone, LoadedModel
from engine.settings import CONTEXT_POLICY_LABELS, ChatSettings, ContextPolicy

COMPOSER_MIN_WIDTH = 220
THINK_TIP = (QT_TRANSLATE_NOOP("chat.panel", "Think before answering: the model reasons step by "
                                             "step first (slower, often "
             "better). Its thinking is shown folded above the answer and is not sent back to "
             "it. This chat keeps the choice."))


class ChatPanel(QWidget):
    notice = Signal(str)  # a one-line message for the status bar
    collectionsTabRequested = Signal()  # "Go to the Collections tab", where none is named yet
    # A citation was clicked: the Source it names and the question its reply answered.
    passageRequested = Signal(Source, str)

    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.chat_id: int | None = None
        self._editing = False
        self._chat_thinks = True  # the open chat's Think setting, as last shown
        self._drafts: dict[int, str] = {}  # unsent text of the chats not on screen
        self._browsing: int | None = None  # the row whose version was switched: chosen again
        # Messages sent while the model loads simply wait in the engine's queue.
        self._model_failed = False
        self.messages = MessageListModel(self)

        self.view = ChatView(self)
        self.view.setModel(self.messages)
        EmptyState(self.view, translated("chat.view", EMPTY_CHAT_NOTE))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.view.linkClicked.connect(
            lambda url: open_link(self, url, self.show_passage, self.answer_again))
        self.messages.modelReset.connect(self.view.message_delegate.clear_cache)
        self.view.versionRequested.connect(self._show_version_of)

        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName(self.tr("Chat notice"))
        self.banner.hide()
        self._reading_banner = False  # the banner shows how far the prompt has been read

        self.composer = Composer(self)
        # Room for a line of its placeholder in the smallest window with the settings dock open:
        # the chat list beside gives way first.
        self.composer.setMinimumWidth(COMPOSER_MIN_WIDTH)
        self.composer.submitted.connect(self.submit)
        self.composer.documentPasted.connect(lambda text: self._prepare(pasted=text))
        self.composer.filesDropped.connect(lambda paths: self._prepare(path=paths[0]))
        self.attachment = AttachmentBar(self)
        self.attachment.removed.connect(self._drop_attachment)
        self.attachment.summarizeRequested.connect(self.summarize)
        self.attachment.detachRequested.connect(self.detach_collection)
        self._document_request = 0
        self._in_flight_document: tuple[Document, int] | None = None
        self.attach_button = QPushButton(self.tr("Attach…"), self)
        self.attach_button.setToolTip(self.tr("Attach a document: .txt, .md, .html, .pdf or .docx"))
        self.attach_button.clicked.connect(self.choose_document)
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.setAccessibleName(self.tr("Send or stop"))
        self.send_button.clicked.connect(self._send_or_stop)

        self.copy_action = self._action(self.tr("Copy message"), QKeySequence.StandardKey.Copy,
                                        self.copy_message)
        self.copy_code_action = self._action(self.tr("Copy code"), QKeySequence("Ctrl+Shift+C"),
                                             self.copy_code)
        self.regenerate_action = self._action(self.tr("Regenerate reply"), QKeySequence("Ctrl+R"),
                                              self.regenerate)
        self.edit_action = self._action(self.tr("Edit last message"), QKeySequence("Ctrl+E"),
                                        self.edit_last)
        self.stop_action = self._action(self.tr("Stop"), QKeySequence(Qt.Key.Key_Escape), self.stop)
        self.stop_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.thinking_action = self._action(
            self.tr("Show or hide thinking"), QKeySequence("Ctrl+T"),
                                            self.toggle_thinking)
        # In the conversation only: in the composer Alt+arrows may move the cursor by words.
        self.previous_version_action = self._action(
            translated("chat.view", PREVIOUS_VERSION), QKeySequence("Alt+Left"),
            lambda: self.show_version(-1))
        self.next_version_action = self._action(
            translated("chat.view", NEXT_VERSION), QKeySequence("Alt+Right"),
            lambda: self.show_version(1))
        for action in (self.previous_version_action, self.next_version_action):
            self.removeAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.view.addAction(action)

        # The buttons and the model picker wrap onto more lines where the panel is narrow (a
        # small window with the settings dock open); the picker stays at the right.
        actions = QWidget(self)
        flow = FlowLayout(actions)
        for action in (self.copy_action, self.copy_code_action, self.regenerate_action,
                       self.edit_action):
            button = QPushButton(action.text(), self)
            button.setAccessibleName(action.text())
            button.setToolTip(f"{action.text()} ({action.shortcut().toString()})")
            button.clicked.connect(action.trigger)
            action.enabledChanged.connect(button.setEnabled)
            button.setEnabled(action.isEnabled())
            flow.addWidget(button)
        # The versions of the chosen message: flat "‹ 2/3 ›", hidden where it has one.
        self.previous_version_button = self._version_button("‹", self.previous_version_action)
        self.versions_label = QLabel(self)
        self.next_version_button = self._version_button("›", self.next_version_action)
        for widget in (self.previous_version_button, self.versions_label,
                       self.next_version_button):
            widget.hide()
            flow.addWidget(widget)
        # The named collections, each checked when attached to the chat shown: a detail
        # question there is answered from their passages too. Filled by chatCollections.
        self.collections_button = QToolButton(self)
        self.collections_button.setText(self.tr("Attach collection"))
        self.collections_button.setAccessibleName(self.tr("Attach collection"))
        self.collections_button.setToolTip(self.tr(
            "Attach a named collection to this chat: questions about a detail are answered "
            "from its passages too, with citations"))
        self.collections_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.collections_menu = QMenu(self.collections_button)
        self.collections_menu.setAccessibleName(self.tr("Collections to attach"))
        self.collections_menu.aboutToShow.connect(self.refresh_collections)
        self.collections_button.setMenu(self.collections_menu)
        self.collection_actions: dict[int, QAction] = {}
        self._collections_shown: tuple[object, ...] | None = None
        self._fill_collections_menu([], [])
        flow.addWidget(self.collections_button)
        # Shown only for a model whose template has a thinking switch (Qwen3's).
        self.think_button = QToolButton(self)
        self.think_button.setText(self.tr("Think"))
        self.think_button.setCheckable(True)
        self.think_button.setChecked(True)
        self.think_button.setAccessibleName(self.tr("Think before answering"))
        self.think_button.setToolTip(translated("chat.panel", THINK_TIP))
        self.think_button.toggled.connect(self._think_toggled)
        self.think_button.hide()
        flow.add_right(self.think_button)
        self.model_picker = ModelPicker(client, self)
        flow.add_right(self.model_picker)

        input_row = QHBoxLayout()
        input_row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        input_row.addWidget(self.composer, 1)
        input_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(actions)
        layout.addWidget(self.banner)
        layout.addWidget(self.attachment)
        layout.addLayout(input_row)

        client.chatOpened.connect(self._on_chat_opened)
        client.chatCollections.connect(self._on_chat_collections)
        client.contextChanged.connect(self._on_context)
        client.replyStarted.connect(self._on_reply_started)
        client.replyDelta.connect(self._on_delta)
        client.reasoningDelta.connect(self._on_reasoning_delta)
        client.promptProgress.connect(self._on_prompt_progress)
        client.replyEnded.connect(self._on_reply_ended)
        client.replyFinished.connect(self._on_reply_finished)
        client.turnRefused.connect(self._on_turn_refused)
        client.contextFull.connect(self._on_context_full)
        client.errorOccurred.connect(self._on_error)
        client.modelLoaded.connect(self._on_model_ready)
        client.modelFailed.connect(self._on_model_failed)
        client.chatDeleted.connect(self._on_chat_deleted)
        client.documentReady.connect(self._on_document_ready)
        client.documentFailed.connect(self._on_document_failed)
        client.summaryStatus.connect(self._on_summary_status)
        self.messages.modelReset.connect(self._update_versions)
        self.messages.rowsInserted.connect(self._update_versions)
        self.view.selectionModel().currentChanged.connect(self._update_versions)
        self._update_state()

    def _action(self, text: str, shortcut: QKeySequence | QKeySequence.StandardKey,
                slot: object) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _version_button(self, arrow: str, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setText(arrow)
        button.setAutoRaise(True)
        button.setAccessibleName(action.text())
        button.setToolTip(self.tr("{text} ({toString} in the conversation)")
                          .format(text=action.text(), toString=action.shortcut().toString()))
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)
        return button

    @property
    def busy(self) -> bool:
        return self._client.busy

    def _update_state(self) -> None:
        has_chat = self.chat_id is not None
        rows = self.messages.rowCount()
        last_user = self.messages.last_row_of("user")
        idle = not self.busy
        self.send_button.setText(self.tr("Stop") if self.busy else self.tr("Send"))
        self.send_button.setEnabled(self.busy or (has_chat and not self._model_failed))
        self.stop_action.setEnabled(self.busy or self._editing)  # Esc also cancels an edit
        self.composer.setEnabled(has_chat)
        self.copy_action.setEnabled(rows > 0)
        self.copy_code_action.setEnabled(rows > 0)
        can_turn = idle and not self._model_failed and last_user >= 0
        self.regenerate_action.setEnabled(can_turn)
        self.edit_action.setEnabled(can_turn)
        self._update_versions()

    def _versions_index(self) -> QModelIndex:
        """The message whose versions the controls beside the actions show: the chosen one if
        it has versions, else the last that has."""
        index = self.view.currentIndex()
        if index.isValid() and self.messages.versions(index.row())[1] > 1:
            return index
        for row in range(self.messages.rowCount() - 1, -1, -1):
            if self.messages.versions(row)[1] > 1:
                return self.messages.index(row)
        return QModelIndex()

    def _update_versions(self) -> None:
        index = self._versions_index()
        version, versions = self.messages.versions(index.row()) if index.isValid() else (1, 1)
        self.versions_label.setText(f"{version}/{versions}")
        self.versions_label.setAccessibleName(version_text(version, versions))
        for widget in (self.previous_version_button, self.versions_label,
                       self.next_version_button):
            widget.setVisible(versions > 1)
        self.previous_version_action.setEnabled(not self.busy and version > 1)
        self.next_version_action.setEnabled(not self.busy and version < versions)

    def show_banner(self, text: str, reading: bool = False) -> None:
        self._reading_banner = reading
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def _send_or_stop(self) -> None:
        if self.busy:
            self.stop()
        else:
            self.submit()

    def submit(self) -> None:
        text = self.composer.toPlainText()
        if self.busy or self.chat_id is None or not text.strip() or self._model_failed:
            return
        document = self.attachment.document
        if self._editing:
            self._client.edit_last(self.chat_id, text)
        elif document is not None:
            self._in_flight_document = (document, self.attachment.tokens)
            self._client.send_with_document(self.chat_id, text, document, self.attachment.tokens)
            self.attachment.clear()
        else:
            self._client.send(self.chat_id, text)
        self._editing = False
        self.composer.clear()
        self.show_banner("")
        self.view.follow()
        self._update_state()

    def choose_document(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Attach a document"), "",
            self.tr("Documents (*.txt *.md *.markdown *.html *.htm *.pdf *.docx);;All files (*)"))
        if path:
            self._prepare(path=path)

    def _prepare(self, path: str = "", pasted: str = "") -> None:
        self._document_request = self._client.prepare_document(path, pasted)
        self.show_banner(self.tr("Reading the document…"))

    def _on_document_ready(self, request: int, document: Document, tokens: int) -> None:
        if request != self._document_request:
            return  # replaced by a later attachment
        self.show_banner("")
        self.attachment.show_document(document, tokens)
        self.composer.setFocus()

    def _on_document_failed(self, request: int, why: str) -> None:
        if request == self._document_request:
            self.show_banner(why)

    def _drop_attachment(self) -> None:
        self._document_request = 0
        self.attachment.clear()

    def summarize(self, options: SummaryOptions) -> None:
        document = self.attachment.document
        if self.busy or self.chat_id is None or document is None or self._model_failed:
            return
        self._in_flight_document = (document, self.attachment.tokens)
        self._client.summarize(self.chat_id, document, self.attachment.tokens, options)
        self.attachment.clear()
        self.attachment.show_status(self.tr("Starting the summary…"), 0.0, None)
        self.view.follow()
        self._update_state()

    def _on_summary_status(self, chat_id: int, step: str, fraction: float,
                           seconds_left: float | None) -> None:
        if chat_id == self.chat_id:
            self.attachment.show_status(step, fraction, seconds_left)

    def stop(self) -> None:
        if self.busy:
            self._client.stop()
        elif self._editing:
            self._editing = False
            self.composer.clear()
            self.show_banner("")
            self._update_state()

    def regenerate(self) -> None:
        if self.chat_id is not None and not self.busy:
            self._client.regenerate(self.chat_id)
            self.view.follow()
            self._update_state()

    def answer_again(self, message_id: int, route: Route) -> None:
        """Writes the last reply again by `route` (from passages, or from the whole document),
        as the line under it offers; the new reply replaces it, as Regenerate's does."""
        if (self.chat_id is not None and not self.busy and not self._model_failed
                and self.messages.offered_route(message_id) is route):
            self._client.regenerate(self.chat_id, route)
            self.view.follow()
            self._update_state()

    def edit_last(self) -> None:
        row = self.messages.last_row_of("user")
        found = self.messages.message_at(row)
        if found is None or self.busy:
            return
        self._editing = True
        self.composer.setPlainText(found[1])
        self.composer.setFocus()
        self.show_banner(self.tr("Editing your last message — Enter resends it, Esc cancels."))
        self._update_state()

    def show_version(self, step: int) -> None:
        """Shows the version `step` places from the one shown, of the chosen message."""
        index = self._versions_index()
        if index.isValid():
            self._show_version_of(int(index.data(MessageRole.Id)), step)

    def _show_version_of(self, message_id: int, step: int) -> None:
        row = self.messages.row_of(message_id)
        version, versions = self.messages.versions(row)
        if self.chat_id is None or self.busy or not 1 <= version + step <= versions:
            return
        self._browsing = row
        self._client.show_version(self.chat_id, message_id, step)

    def toggle_thinking(self) -> None:
        """Opens or closes the thinking of the chosen message, else of the last that has any."""
        index = self.view.currentIndex()
        if not (index.isValid() and self.view.toggle_reasoning(index)):
            for row in range(self.messages.rowCount() - 1, -1, -1):
                if self.view.toggle_reasoning(self.messages.index(row)):
                    return

    def show_passage(self, message_id: int, number: int) -> None:
        """Asks for the passage a reply cites as "[number]" to be shown."""
        source = self.messages.source(message_id, number)
        if source is not None:
            self.passageRequested.emit(source, self.messages.question_before(message_id))

    def _think_toggled(self, on: bool) -> None:
        if self.chat_id is not None and on != self._chat_thinks:
            self._chat_thinks = on
            self._client.change_chat_settings(self.chat_id, {"thinking": on})

    def _current_text(self) -> str | None:
        index = self.view.currentIndex()
        row = index.row() if index.isValid() else self.messages.rowCount() - 1
        found = self.messages.message_at(row)
        return found[1] if found else None

    def copy_message(self) -> None:
        text = self._current_text()
        if text is not None:
            QGuiApplication.clipboard().setText(text)
            self.notice.emit(self.tr("Message copied."))

    def copy_code(self) -> None:
        text = self._current_text() or ""
        blocks = code_blocks(text)
        if not blocks:
            self.notice.emit(self.tr("This message has no code block."))
            return
        QGuiApplication.clipboard().setText("\n\n".join(blocks))
        # English needs no catalog: the singular is its own text, the plural a %n form.
        self.notice.emit(self.tr("Copied 1 code block.") if len(blocks) == 1
                         else self.tr("Copied %n code blocks.", "", len(blocks)))

    def _show_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if index.isValid():
            self.view.setCurrentIndex(index)
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (self.copy_action, self.copy_code_action, self.regenerate_action,
                       self.edit_action):
            menu.addAction(action)
        if index.isValid() and index.data(MessageRole.Reasoning):
            opened = index.data(MessageRole.ReasoningExpanded)
            toggle = menu.addAction(
                self.tr("Hide thinking") if opened else self.tr("Show thinking"))
            toggle.setShortcut(self.thinking_action.shortcut())
            toggle.triggered.connect(lambda: self.view.toggle_reasoning(index))
        if index.isValid() and self.messages.versions(index.row())[1] > 1:
            menu.addSeparator()
            menu.addAction(self.previous_version_action)
            menu.addAction(self.next_version_action)
        chosen = index if index.isValid() else self.view.currentIndex()
        message_id = int(chosen.data(MessageRole.Id)) if chosen.isValid() else -1
        offered = self.messages.offered_route(message_id)
        if offered is not None:
            again = menu.addAction(translated("chat.message_model", ANSWER_INSTEAD)[offered])
            again.setEnabled(self.regenerate_action.isEnabled())
            again.triggered.connect(
                lambda _checked=False, r=offered: self.answer_again(message_id, r))
        sources = self.messages.sources(chosen.row()) if chosen.isValid() else ()
        if sources:
            menu.addSeparator()
        for source in sources:
            shown = menu.addAction(self.tr("Show source [{number}]: {where}")
                                   .format(number=source.number, where=source.where))
            shown.triggered.connect(
                lambda _checked=False, s=source: self.show_passage(s.message_id, s.number))
        menu.popup(self.view.viewport().mapToGlobal(position))

    def _on_chat_opened(self, chat: ChatRecord, messages: list[MessageRecord],
                        settings: object) -> None:
        changed = chat.id != self.chat_id
        if changed and self.chat_id is not None:
            self._keep_draft(self.chat_id, self.composer.toPlainText())
        self.chat_id = chat.id
        if isinstance(settings, ChatSettings):
            self._chat_thinks = settings.thinking
            self.think_button.setChecked(settings.thinking)
        self.messages.set_messages(chat.id, messages, chat.context_start_id)
        browsing, self._browsing = self._browsing, None
        if browsing is not None and not changed and browsing < self.messages.rowCount():
            # Another version of the same message: it stays the chosen one.
            self.view.setCurrentIndex(self.messages.index(browsing))
        if changed:
            self._editing = False
            self.composer.setPlainText(self._drafts.pop(chat.id, ""))
            self.show_banner("")
            self.view.follow()
            focused = QApplication.focusWidget()
            # Arrowing through the chat list must not pull the focus away from it.
            if focused is None or self.isAncestorOf(focused):
                self.composer.setFocus()
        self._update_state()

    def refresh_collections(self) -> None:
        """Asks again which collections there are (the Collections tab may have changed them)."""
        if self.chat_id is not None:
            self._client.list_chat_collections(self.chat_id)

    def attach_collection(self, collection_id: int) -> None:
        if self.chat_id is not None:
            self._client.attach_collection(self.chat_id, collection_id)

    def detach_collection(self, collection_id: int) -> None:
        if self.chat_id is not None:
            self._client.detach_collection(self.chat_id, collection_id)

    def _on_chat_collections(self, chat_id: int, attached: list[CollectionRecord],
                             named: list[CollectionRecord]) -> None:
        if chat_id != self.chat_id:
            return
        shown = (chat_id, tuple(attached), tuple(named))
        if shown == self._collections_shown:
            return  # unchanged: an open menu is left as it is
        self._collections_shown = shown
        self._fill_collections_menu(attached, named)
        focused = self.window().focusWidget()  # the window's, even while it is not active
        had_focus = focused is not None and self.attachment.collections_row.isAncestorOf(focused)
        self.attachment.show_collections(attached)
        if had_focus:  # a × pressed from the keyboard: the focus stays in the chat
            chips = list(self.attachment.collection_chips.values())
            (chips[0][1] if chips else self.composer).setFocus()

    def _fill_collections_menu(self, attached: list[CollectionRecord],
                               named: list[CollectionRecord]) -> None:
        menu = self.collections_menu
        menu.clear()
        self.collection_actions.clear()
        if not named:
            none = menu.addAction(self.tr("No collections yet: make one in the Collections "
                                          "tab, then attach it here."))
            none.setEnabled(False)
            menu.addAction(self.tr("Go to the Collections tab"),
                           self.collectionsTabRequested.emit)
            return
        attached_ids = {record.id for record in attached}
        for record in named:
            action = menu.addAction(record.name or "")
            action.setCheckable(True)
            action.setChecked(record.id in attached_ids)
            action.setToolTip(self.tr("{files:,} files, {passages:,} passages")
                              .format(files=record.files, passages=record.passages))
            action.triggered.connect(
                lambda checked, i=record.id: (self.attach_collection(i) if checked
                                              else self.detach_collection(i)))
            self.collection_actions[record.id] = action

    def _keep_draft(self, chat_id: int, text: str) -> None:
        if text.strip():
            self._drafts[chat_id] = text
        else:
            self._drafts.pop(chat_id, None)

    def _on_context(self, view: ContextView) -> None:
        self.messages.set_context(view)

    def _on_reply_started(self, chat_id: int, _reply: MessageRecord) -> None:
        self._update_state()

    def _on_prompt_progress(self, chat_id: int, done: int, total: int) -> None:
        if chat_id == self.chat_id:
            self.show_banner(self.tr("Reading the conversation… {value}% ({done:,} of {total:,} "
                                     "tokens). Esc stops.")
                             .format(value=100 * done // max(total, 1), done=done,
                                     total=total), reading=True)

    def _on_delta(self, chat_id: int, message_id: int, text: str) -> None:
        if chat_id == self.chat_id and self._reading_banner:
            self.show_banner("")
        self.messages.append_delta(chat_id, message_id, text)

    def _on_reasoning_delta(self, chat_id: int, message_id: int, text: str) -> None:
        if chat_id == self.chat_id and self._reading_banner:
            self.show_banner("")
        self.messages.append_reasoning(chat_id, message_id, text)

    def _on_reply_ended(self, chat_id: int, reply: MessageRecord | None) -> None:
        if chat_id == self.chat_id and self._reading_banner:
            self.show_banner("")
        self._in_flight_document = None
        self.attachment.end_summary()
        if reply is not None:
            self.messages.finish(chat_id, reply)
        self._update_state()

    def _on_reply_finished(self, chat_id: int, _reply: MessageRecord,
                           done: GenerationDone) -> None:
        """Says why a reply ended early, when the person would otherwise have to guess."""
        note = finish_sentence(done.finish_reason)
        if note and chat_id == self.chat_id:
            self.show_banner(say(note))

    def _on_turn_refused(self, chat_id: int, kind: str, text: str, reason: str) -> None:
        self._give_back(chat_id, kind, text)
        self.attachment.end_summary()
        if self._in_flight_document is not None and chat_id == self.chat_id:
            self.attachment.show_document(*self._in_flight_document)  # never lose a document
        self._in_flight_document = None
        if chat_id == self.chat_id:
            self.show_banner(reason)
        self._update_state()

    def _give_back(self, chat_id: int, kind: str, text: str) -> None:
        """A refused message returns to its chat's composer, so nothing typed is ever lost."""
        if kind not in ("send", "edit") or not text.strip():
            return
        current = self.composer.toPlainText() if chat_id == self.chat_id else ""
        current = current or self._drafts.get(chat_id, "")
        joined = f"{text}\n\n{current}" if current.strip() and current != text else text
        if chat_id == self.chat_id:
            self.composer.setPlainText(joined)
            self._editing = kind == "edit" and joined == text
        else:
            self._drafts[chat_id] = joined

    def _on_context_full(self, chat_id: int, kind: str, text: str, reason: str,
                         route: Route | None) -> None:
        """Asks how to make room; the turn then runs again as it was asked, by its route."""
        self._update_state()
        if chat_id != self.chat_id:
            self._give_back(chat_id, kind, text)
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("The chat is full"), reason,
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("context-full-question")
        choices = [
            (box.addButton(setting_text(CONTEXT_POLICY_LABELS[policy]),
                           QMessageBox.ButtonRole.AcceptRole),
             policy)
            for policy in (ContextPolicy.DROP_OLDEST, ContextPolicy.KEEP_FIRST)
        ]

        def answered(button: QAbstractButton) -> None:
            policy = next((p for b, p in choices if b is button), None)
            if policy is None:
                self._give_back(chat_id, kind, text)
                self.show_banner(reason)
                return
            self._client.set_context_policy(chat_id, policy.value)
            self._client.run_turn(chat_id, kind, text, route)
            self._update_state()

        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_error(self, text: str) -> None:
        self.show_banner(text)
        self._update_state()

    def _on_model_ready(self, model: object = None, *_args: object) -> None:
        self._model_failed = False
        self.think_button.setVisible(
            isinstance(model, LoadedModel) and has_thinking_switch(model.template.source))
        note = ""
        if isinstance(model, LoadedModel) and model.template.continuation:
            note = say(continuation_note(model.name, model.template,
                                         self.tr("Models tab, Chat template…")))
        self.show_banner(note)
        self._update_state()

    def _on_model_failed(self, reason: str) -> None:
        self._model_failed = True
        self.show_banner(self.tr("No model is loaded: {reason}").format(reason=reason))
        self._update_state()

    def _on_chat_deleted(self, chat_id: int, _title: str) -> None:
        if chat_id == self.chat_id:
            self.chat_id = None
            self.messages.set_messages(-1, [])
            self._collections_shown = None
            self.attachment.show_collections([])
            self._update_state()
