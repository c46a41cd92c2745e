"""Error types the engine raises; each carries a message fit to show a person."""


class HearthError(Exception):
    """Base of every error the engine raises on purpose."""


class StoreError(HearthError):
    """The chat database could not be opened, read or written."""


class DiskFullError(StoreError):
    """A write failed because the disk is full."""


class ModelError(HearthError):
    """A model file is missing, unreadable or rejected by llama.cpp."""


class NoModelLoadedError(HearthError):
    """A request needs a model and none is loaded."""


class ContextOverflowError(HearthError):
    """The conversation does not fit the context window under the chosen policy."""


class MessageTooLongError(ContextOverflowError):
    """One message alone is longer than the context window."""


class SettingsError(HearthError):
    """A settings value is out of range or of the wrong type."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {text}" for name, text in self.errors.items()))
