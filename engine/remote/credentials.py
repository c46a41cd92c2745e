"""Secrets (the Hugging Face access token, remote engines' API keys): kept in the platform's
keyring when one works, otherwise in a file in the data folder that only the user can read
(headless Linux often has no keyring)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Literal

import keyring

from engine.errors import CredentialsError
from engine.paths import AppPaths

KEYRING_SERVICE = "Hearth"
KEYRING_USER = "huggingface-token"
TOKEN_FILE_NAME = "huggingface-token"

TokenPlace = Literal["keyring", "file"]


class SecretStore:
    """get/set/clear of one secret. Keyring backends raise their own error types (D-Bus, Secret
    Service, locked keychains), so any error from them means "no keyring here"."""

    def __init__(self, paths: AppPaths, keyring_user: str, file_name: str, what: str) -> None:
        self._user = keyring_user
        self._file = paths.data_dir / file_name
        self._what = what  # how messages name the secret: "the Hugging Face token"

    @property
    def file(self) -> Path:
        return self._file

    def get(self) -> str | None:
        try:
            stored = keyring.get_password(KEYRING_SERVICE, self._user)
        except Exception:
            stored = None
        if stored:
            return stored
        try:
            text = self._file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise CredentialsError(
                f"Cannot read {self._what} in {self._file}: {error}"
            ) from error
        return text or None

    @property
    def malformed_message(self) -> str:
        return f"That is not {self._what}: paste the whole of it, without spaces."

    def set(self, token: str) -> TokenPlace:
        """Stores the token and says where; the other place is cleared so only one copy exists."""
        token = token.strip()
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise CredentialsError(self.malformed_message)
        try:
            keyring.set_password(KEYRING_SERVICE, self._user, token)
        except Exception:
            self._write_file(token)
            return "file"
        self._file.unlink(missing_ok=True)
        return "keyring"

    def clear(self) -> None:
        with contextlib.suppress(Exception):
            keyring.delete_password(KEYRING_SERVICE, self._user)
        try:
            self._file.unlink(missing_ok=True)
        except OSError as error:
            raise CredentialsError(
                f"Cannot remove {self._file}: {error.strerror or error}"
            ) from error

    def _write_file(self, token: str) -> None:
        """Writes through a new file created with mode 0600 and renamed over the old one, so the
        token is never readable by others, not even for a moment."""
        temporary = self._file.with_name(f".{self._file.name}.tmp")
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            temporary.unlink(missing_ok=True)
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(token + "\n")
            os.replace(temporary, self._file)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise CredentialsError(
                f"Cannot save {self._what} in {self._file}: {error.strerror or error}"
            ) from error


class TokenStore(SecretStore):
    """The one Hugging Face token."""

    def __init__(self, paths: AppPaths) -> None:
        super().__init__(paths, KEYRING_USER, TOKEN_FILE_NAME, "the Hugging Face token")

    @property
    def malformed_message(self) -> str:
        return "That is not a Hugging Face token: paste the whole token, without spaces."
