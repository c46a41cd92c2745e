"""The status bar: the model, the speed of the last reply, context use, and Undo after a delete."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from desktop.api.status import ApiStatusLabel
from desktop.engine_client import EngineClient
from engine.chat.store import MessageRecord
from engine.host.backend import BackendInfo
from engine.host.runtime import GenerationDone, LoadedModel
from engine.remote.engine import RemoteModel

UNDO_WINDOW_MS = 10_000


class HearthStatusBar(QStatusBar):
    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._shown_chat: int | None = None
        self._deleted_chat: int | None = None

        self.model_label = QLabel(self.tr("Loading model…"), self)
        self.model_label.setAccessibleName(self.tr("Model"))
        self._model_text = ""  # the model and where it runs, before its thread count
        self.speed_label = QLabel("", self)
        self.speed_label.setAccessibleName(self.tr("Speed of the last reply"))
        self.context_label = QLabel("", self)
        self.context_label.setAccessibleName(self.tr("Context window use"))
        self.undo_button = QPushButton(self.tr("Undo delete"), self)
        self.undo_button.setAccessibleName(self.tr("Undo delete"))
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo_delete)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self.undo_button.hide)

        for label in (self.model_label, self.speed_label, self.context_label):
            label.setContentsMargins(8, 0, 8, 0)
        self.addPermanentWidget(self.undo_button)
        self.api_label = ApiStatusLabel(client.api, self)
        self.addPermanentWidget(self.api_label)
        self.addPermanentWidget(self.context_label)
        self.addPermanentWidget(self.speed_label)
        self.addPermanentWidget(self.model_label)

        worker = client
        worker.modelLoading.connect(lambda name: self.model_label.setText(self.tr("Loading {name}…")
                                                                          .format(name=name)))
        worker.modelLoaded.connect(self._on_model_loaded)
        worker.modelFailed.connect(lambda _reason: self.model_label.setText(self.tr("No model "
                                                                                    "loaded")))
        worker.replyFinished.connect(self._on_reply_finished)
        worker.contextUsage.connect(self._on_context_usage)
        worker.chatOpened.connect(self._on_chat_opened)
        worker.chatDeleted.connect(self._on_chat_deleted)
        worker.exported.connect(lambda path: self.showMessage(self.tr("Exported to {path}")
                                                              .format(path=path), 5000))

    def _on_model_loaded(self, model: LoadedModel | RemoteModel, backend: BackendInfo) -> None:
        if isinstance(model, RemoteModel):
            self._model_text = ""
            self.model_label.setText(self.tr("{name} · remote ({endpoint})")
                                     .format(name=model.name, endpoint=model.endpoint))
            self.model_label.setToolTip(model.description)
            return
        where = backend.name if model.n_gpu_layers == 0 else f"{backend.name}, {model.gpu_split}"
        self._model_text = f"{model.name} · {where}" + (
            self.tr(" · drafted by {draft}").format(draft=model.draft_model)
            if model.draft_model else "")
        self._show_threads(model.n_threads)
        self.model_label.setToolTip(
            self.tr("{path}\nArchitecture: {architecture}\nContext: {n_ctx:,} of {n_ctx_train:,} "
                    "trained")
            .format(path=model.path, architecture=model.architecture,
                    n_ctx=model.n_ctx, n_ctx_train=model.n_ctx_train)
        )

    def _show_threads(self, count: int) -> None:
        threads = self.tr("1 thread") if count == 1 else self.tr("%n threads", "", count)
        self.model_label.setText(f"{self._model_text} · {threads}")

    def _on_chat_opened(self, chat: object, *_rest: object) -> None:
        self._shown_chat = getattr(chat, "id", None)

    def _on_reply_finished(self, chat_id: int, _reply: MessageRecord,
                           done: GenerationDone) -> None:
        if done.threads and self._model_text:  # the engine chooses them as replies run
            self._show_threads(done.threads)
        # Speculative decoding: the speed above is the effective one, drafts included.
        drafts = "" if done.acceptance is None else self.tr(" · {acceptance:.0%} of drafts "
                                                            "kept").format(acceptance=done
                                                            .acceptance)
        self.speed_label.setText(
            self.tr("{tokens_per_second:.1f} tok/s · {generated_tokens} tokens{drafts}")
            .format(tokens_per_second=done.tokens_per_second,
                    generated_tokens=done.generated_tokens, drafts=drafts)
        )
        self.speed_label.setToolTip(
            self.tr("First token after {seconds_to_first_token:.2f} s; {evaluated_tokens} of "
                    "{prompt_tokens} prompt tokens evaluated; seed {seed}")
            .format(seconds_to_first_token=done.seconds_to_first_token,
                    evaluated_tokens=done.evaluated_tokens,
                            prompt_tokens=done.prompt_tokens, seed=done.seed)
            + (self.tr("; {accepted_tokens} of {drafted_tokens} drafted tokens (looked up "
                       "in the conversation or written by the draft model) were the model's "
                       "own choice")
               .format(accepted_tokens=done.accepted_tokens,
                       drafted_tokens=done.drafted_tokens) if done.drafted_tokens else
               "")
        )

    def _on_context_usage(self, chat_id: int, used: int, n_ctx: int) -> None:
        if chat_id != self._shown_chat:
            return
        percent = 100 * used / n_ctx if n_ctx else 0
        self.context_label.setText(self.tr("Context {used:,} / {n_ctx:,} ({percent:.0f}%)")
                                   .format(used=used, n_ctx=n_ctx, percent=percent))

    def _on_chat_deleted(self, chat_id: int, title: str) -> None:
        self._deleted_chat = chat_id
        self.showMessage(self.tr("Deleted “{title}”.").format(title=title), UNDO_WINDOW_MS)
        self.undo_button.show()
        self._undo_timer.start(UNDO_WINDOW_MS)

    def undo_delete(self) -> None:
        if self._deleted_chat is not None:
            self._client.restore_chat(self._deleted_chat)
            self._client.open_chat(self._deleted_chat)
            self._deleted_chat = None
        self.undo_button.hide()
        self.clearMessage()
