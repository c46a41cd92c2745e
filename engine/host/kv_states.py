"""Saved KV caches of recent chats, so switching back to a long chat costs no re-evaluation.

One llama.cpp context holds one conversation's cache. Before another chat takes it over, the
current chat's cache is saved here (llama.cpp's per-sequence state); when that chat returns, it
is put back and only its new tokens are evaluated. The least recently used states go first
once their total size passes the budget.
"""

from __future__ import annotations

from collections import OrderedDict

from engine.host.local import LocalRuntime
from engine.host.runtime import KvState

DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024


class ChatKvStates:
    def __init__(self, runtime: LocalRuntime, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._runtime = runtime
        self._budget = budget_bytes
        self._saved: OrderedDict[int, KvState] = OrderedDict()
        self.owner: int | None = None  # the chat whose tokens the live cache holds

    def activate(self, chat_id: int) -> bool:
        """Makes the live cache hold `chat_id`'s conversation; True if a saved state was used."""
        if self.owner == chat_id:
            return False
        if self.owner is not None:
            state = self._runtime.save_state()
            if state is not None:
                self._keep(self.owner, state)
        self.owner = chat_id
        state = self._saved.pop(chat_id, None)
        return state is not None and self._runtime.load_state(state)

    def forget(self, chat_id: int | None = None) -> None:
        """Drops one chat's saved state (edited or deleted), or all (a new model was loaded)."""
        if chat_id is None:
            self._saved.clear()
            self.owner = None
        else:
            self._saved.pop(chat_id, None)

    @property
    def saved_bytes(self) -> int:
        return sum(state.size for state in self._saved.values())

    def _keep(self, chat_id: int, state: KvState) -> None:
        self._saved[chat_id] = state
        self._saved.move_to_end(chat_id)
        while self._saved and self.saved_bytes > self._budget:
            self._saved.popitem(last=False)
