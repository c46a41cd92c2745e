"""Error types the engine raises; each carries a message fit to show a person."""

from __future__ import annotations

from collections.abc import Mapping

from engine.text import Text, Wording, wording_of


class HearthError(Exception):
    """Base of every error the engine raises on purpose.

    Raised with a typed message (`HearthError(Text("...{n:,}...", n=n))`), or plain English where
    only the CLI or the API show it; `str(error)` is the English either way, `wording` the typed
    message the window translates (desktop/engine_texts.py). The typed message is the error's one
    argument, so it crosses the engine host's pipe and pickling with it."""

    @property
    def wording(self) -> Wording:
        return wording_of(self)


class StoreError(HearthError):
    """The chat database could not be opened, read or written."""


class DiskFullError(StoreError):
    """A write failed because the disk is full."""


class ModelError(HearthError):
    """A model file is missing, unreadable or rejected by llama.cpp."""


class EngineCrashedError(ModelError):
    """The engine host process died (a crash in llama.cpp, an abort, the OOM killer): the model
    stopped unexpectedly; Hearth starts the host again and reloads the model."""


class ModelGivenUpError(EngineCrashedError):
    """The engine host died again with a model that crashed twice even loaded the safest way,
    never having written a word: Hearth does not load it again (engine/host/safe_configs.py)."""


class NoModelLoadedError(HearthError):
    """A request needs a model and none is loaded."""


class ContextOverflowError(HearthError):
    """The conversation does not fit the context window under the chosen policy."""


class MessageTooLongError(ContextOverflowError):
    """One message alone is longer than the context window."""


class SettingsError(HearthError):
    """A settings value is out of range or of the wrong type: `errors` says why, by field name
    (typed reasons the window translates, or plain English)."""

    def __init__(self, errors: Mapping[str, Wording]) -> None:
        self.errors = dict(errors)
        said: Wording | None = None  # "name: reason; name: reason", each reason typed
        for name, reason in reversed(self.errors.items()):
            one = Text("{name}: {reason}", name=name, reason=reason)
            said = one if said is None else Text("{first}; {rest}", first=one, rest=said)
        super().__init__("" if said is None else said)

    def __reduce__(self) -> tuple[type[SettingsError], tuple[dict[str, Wording]]]:
        return SettingsError, (self.errors,)


class PromptLabError(HearthError):
    """A Prompt Lab task, task file, run or preset is invalid or cannot be used."""


class HubError(HearthError):
    """Hugging Face could not be searched, or a repository or file there cannot be used."""


class HubOfflineError(HubError):
    """Hugging Face cannot be reached: no network, or the connection dropped."""


class GatedModelError(HubError):
    """The repository is gated: it needs an access token from an account that accepted its terms."""


class DownloadError(HubError):
    """A model download failed; the message says whether the partial file was kept."""


class NotEnoughSpaceError(DownloadError):
    """The disk lacks room for the bytes a download still needs."""


class CredentialsError(HearthError):
    """The Hugging Face token could not be stored, read or removed, or is malformed."""


class ModelTooBigError(ModelError):
    """A model needs more memory than this computer has (free); refused before loading."""


class OperationCancelled(HearthError):
    """A long operation (a copy, an import) was cancelled by the person; nothing was kept."""


class DocumentError(HearthError):
    """A document cannot be read: damaged, encrypted, not text, too large or empty."""


class RemoteError(HearthError):
    """A remote engine (an OpenAI-compatible server) could not be used; says why and what to do."""


class RemoteOfflineError(RemoteError):
    """The network switch is off: no remote engine may be reached until it is turned on."""


class RemoteConnectionError(RemoteError):
    """The server could not be reached, or it took too long to answer."""


class RemoteAuthError(RemoteError):
    """The server refused the API key (HTTP 401 or 403)."""


class RemoteRateLimitError(RemoteError):
    """The server asked to wait (HTTP 429); `retry_after` is how long, in seconds, if it said."""

    def __init__(self, message: Wording, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RemoteReplyCutError(RemoteError):
    """A streamed reply stopped before the server finished it; `text` is what had arrived."""

    def __init__(self, message: Wording, text: str) -> None:
        super().__init__(message)
        self.text = text
