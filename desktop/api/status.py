"""The status bar's word on the API server: off (nothing shown), on, or answering a request."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from desktop.api.client import ApiClient
from desktop.api.host import ApiState
from engine.api.jobs import JobRecord


class ApiStatusLabel(QLabel):
    def __init__(self, api: ApiClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("API server"))
        self.setContentsMargins(8, 0, 8, 0)
        self._state = api.state
        self._answering: str | None = None
        api.stateChanged.connect(self._on_state)
        api.requestStarted.connect(self._on_request_started)
        api.requestEnded.connect(self._on_request_ended)
        self._show()

    def _on_state(self, state: ApiState) -> None:
        self._state = state
        self._show()

    def _on_request_started(self, text: str) -> None:
        self._answering = text
        self._show()

    def _on_request_ended(self, record: JobRecord) -> None:
        self._answering = None
        self.setToolTip(
            self.tr("Last API request from {client}: {endpoint}, {outcome}, {prompt_tokens} prompt "
                    "and {completion_tokens} reply tokens in {seconds:.1f} s")
            .format(client=record.client, endpoint=record.endpoint,
                    outcome=record.outcome, prompt_tokens=record.prompt_tokens,
                            completion_tokens=record.completion_tokens,
                                    seconds=record.seconds)
            + (self.tr(", answered together with {value} others")
               .format(value=record.batched - 1) if record.batched > 1
               else "")
        )
        self._show()

    def _show(self) -> None:
        state = self._state
        if self._answering is not None:
            text = self._answering
        elif state.running:
            where = f"{state.settings.host}:{state.settings.port}"
            text = self.tr("API on · {where}").format(where=where) + (
                self.tr(" · network") if state.reachable_from_network else "")
        elif state.error:
            text = self.tr("API off: could not start")
            self.setToolTip(state.error)
        else:
            text = ""
        self.setText(text)
        self.setVisible(bool(text))
