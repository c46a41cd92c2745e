"""The Hub token: in the keyring when one works, else in a file only the user can read."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from engine.errors import CredentialsError
from engine.paths import app_paths
from engine.remote.credentials import KEYRING_SERVICE, KEYRING_USER, TokenStore


class MemoryKeyring(KeyringBackend):
    """Stands in for the desktop's keychain (Secret Service, macOS Keychain, Windows Credential
    Manager), none of which runs on this headless test machine."""

    def __init__(self) -> None:
        self.set_properties_from_env()  # all that KeyringBackend's own (untyped) __init__ does
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


DBUS_GONE = "org.freedesktop.DBus.Error.ServiceUnknown"


class BrokenKeyring(KeyringBackend):
    """Like a Secret Service whose D-Bus session is gone: errors of the backend's own kind."""

    def __init__(self) -> None:
        self.set_properties_from_env()

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError(DBUS_GONE)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(DBUS_GONE)

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError(DBUS_GONE)


UseKeyring = Callable[[KeyringBackend], None]


@pytest.fixture
def use_keyring() -> Iterator[UseKeyring]:
    """Sets the keyring backend for one test and puts the machine's own back afterwards."""
    original = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(original)


def test_without_a_keyring_the_token_goes_to_a_file_only_the_user_can_read(
    use_keyring: UseKeyring,
) -> None:
    use_keyring(fail.Keyring())
    store = TokenStore(app_paths())

    assert store.get() is None
    assert store.set("  hf_abcDEF123\n") == "file"

    assert store.get() == "hf_abcDEF123"
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    assert store.file.read_text() == "hf_abcDEF123\n"
    store.clear()
    assert store.get() is None and not store.file.exists()


def test_a_working_keyring_keeps_the_token_and_no_file_is_left(
    use_keyring: UseKeyring,
) -> None:
    store = TokenStore(app_paths())
    use_keyring(fail.Keyring())
    store.set("hf_old")  # saved in a file while no keyring worked
    backend = MemoryKeyring()
    use_keyring(backend)

    assert store.set("hf_new") == "keyring"

    assert backend.secrets == {(KEYRING_SERVICE, KEYRING_USER): "hf_new"}
    assert not store.file.exists()
    assert store.get() == "hf_new"
    store.clear()
    assert backend.secrets == {} and store.get() is None


def test_a_keyring_that_fails_with_its_own_errors_falls_back_to_the_file(
    use_keyring: UseKeyring,
) -> None:
    use_keyring(BrokenKeyring())
    store = TokenStore(app_paths())

    assert store.set("hf_xyz") == "file"
    assert store.get() == "hf_xyz"
    store.clear()
    assert store.get() is None


@pytest.mark.parametrize("token", ["", "   ", "hf abc", "hf_é", "hf_\x00x"])
def test_something_that_is_not_a_token_is_refused(
    use_keyring: UseKeyring, token: str
) -> None:
    use_keyring(fail.Keyring())
    store = TokenStore(app_paths())

    with pytest.raises(CredentialsError, match="That is not a Hugging Face token"):
        store.set(token)
    assert store.get() is None


def test_an_unreadable_token_file_is_reported_plainly(
    use_keyring: UseKeyring,
) -> None:
    use_keyring(fail.Keyring())
    store = TokenStore(app_paths())
    store.file.parent.mkdir(parents=True)
    store.file.write_bytes(b"\xff\xfe not text")

    with pytest.raises(CredentialsError, match="Cannot read the Hugging Face token in "):
        store.get()
