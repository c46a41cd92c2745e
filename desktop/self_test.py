"""`hearth --self-test`: the real app, offscreen, answering one message end to end.

It prints each stage to stderr as it is reached (window shown, first token, peak memory), so
packaging checks and the start-up benchmark can time a real launch from outside. After the
window closes, the search model makes one vector in an engine host of its own, and the stage
names the file it came from (the frozen app's own copy: packaging/check_bundle.py checks it).
"""

from __future__ import annotations

import resource
import sys

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from desktop.engine_client import EngineClient
from desktop.main_window import MainWindow
from engine.chat.store import ChatRecord, MessageRecord
from engine.documents.embedder import Embedder
from engine.documents.search_model import search_model_file
from engine.host.runtime import GenerationDone
from engine.paths import AppPaths


def _stage(text: str) -> None:
    print(f"hearth-self-test: {text}", file=sys.stderr, flush=True)


class SelfTest(QObject):
    def __init__(self, client: EngineClient, window: MainWindow, message: str,
                 timeout_ms: int) -> None:
        super().__init__(window)
        self.exit_code = 2
        self._client, self._window, self._message = client, window, message
        self._sent = False
        self._first_token = False
        client.modelFailed.connect(lambda reason: self._fail(f"model failed: {reason}"))
        client.errorOccurred.connect(self._fail)
        client.turnRefused.connect(lambda _c, _k, _t, reason: self._fail(reason))
        client.contextFull.connect(lambda _c, _k, _t, reason, _r: self._fail(reason))
        client.chatOpened.connect(self._on_chat_opened)
        client.replyDelta.connect(self._on_delta)
        client.replyFinished.connect(self._on_reply)
        QTimer.singleShot(0, lambda: _stage("window shown"))
        QTimer.singleShot(timeout_ms, lambda: self._fail("timed out"))

    def _on_chat_opened(self, _chat: ChatRecord, *_rest: object) -> None:
        # Through the chat panel, as a person would; it waits in the engine's queue if the
        # model is still loading.
        panel = self._window.chat_panel
        if panel.chat_id is not None and not self._sent:
            self._sent = True
            panel.composer.setPlainText(self._message)
            panel.submit()

    def _on_delta(self, *_args: object) -> None:
        if not self._first_token:
            self._first_token = True
            _stage("first token")

    def _on_reply(self, _chat_id: int, reply: MessageRecord, done: GenerationDone) -> None:
        print(reply.content.strip(), flush=True)
        _stage(f"{done.generated_tokens} tokens at {done.tokens_per_second:.1f} tok/s")
        _stage(f"peak RSS KiB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
        self.exit_code = 0 if reply.content.strip() else 1
        self._window.close()
        QApplication.quit()

    def _fail(self, reason: str) -> None:
        if self.exit_code == 2:
            _stage(f"failed: {reason}")
            self.exit_code = 1
        self._window.close()
        QApplication.quit()


def check_search_model(paths: AppPaths) -> int:
    """Makes one vector with the search model; 0 when it came, 1 when it did not."""
    model = search_model_file(paths)
    if model is None:
        _stage("failed: no search model")
        return 1
    embedder = Embedder(model)
    try:
        vectors = embedder.vectors(["Where is the lighthouse?"])
    finally:
        embedder.close()
    _stage(f"search model {model}: {vectors.shape[1]} dimensions")
    return 0
