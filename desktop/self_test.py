"""`hearth --self-test`: the real app, offscreen, answering one message end to end."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from desktop.engine_client import EngineClient
from desktop.main_window import MainWindow
from engine.runtime import GenerationDone
from engine.store import ChatRecord, MessageRecord


class SelfTest(QObject):
    def __init__(self, client: EngineClient, window: MainWindow, message: str,
                 timeout_ms: int) -> None:
        super().__init__(window)
        self.exit_code = 2
        self._client, self._window, self._message = client, window, message
        self._model_ready = False
        self._sent = False
        client.modelLoaded.connect(self._on_model_loaded)
        client.modelFailed.connect(lambda reason: self._fail(f"model failed: {reason}"))
        client.errorOccurred.connect(lambda text: self._fail(text))
        client.turnRefused.connect(lambda _c, _k, _t, reason: self._fail(reason))
        client.contextFull.connect(lambda _c, _k, _t, reason: self._fail(reason))
        client.chatOpened.connect(self._on_chat_opened)
        client.replyFinished.connect(self._on_reply)
        QTimer.singleShot(timeout_ms, lambda: self._fail("timed out"))

    def _on_model_loaded(self, *_args: object) -> None:
        self._model_ready = True
        self._send_when_ready()

    def _on_chat_opened(self, _chat: ChatRecord, *_rest: object) -> None:
        self._send_when_ready()

    def _send_when_ready(self) -> None:
        # Through the chat panel, as a person would: its own slots ran first (connected first).
        panel = self._window.chat_panel
        if self._model_ready and panel.chat_id is not None and not self._sent:
            self._sent = True
            panel.composer.setPlainText(self._message)
            panel.submit()

    def _on_reply(self, _chat_id: int, reply: MessageRecord, done: GenerationDone) -> None:
        print(reply.content.strip())
        print(f"[self-test: {done.generated_tokens} tokens, {done.tokens_per_second:.1f} tok/s]",
              file=sys.stderr)
        self.exit_code = 0 if reply.content.strip() else 1
        self._window.close()
        QApplication.quit()

    def _fail(self, reason: str) -> None:
        if self.exit_code == 2:
            print(f"hearth --self-test failed: {reason}", file=sys.stderr)
            self.exit_code = 1
        self._window.close()
        QApplication.quit()
