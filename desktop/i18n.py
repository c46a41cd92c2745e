"""The interface's language: English as written in the code, or a Qt Linguist translation.

The catalogs are `assets/translations/hearth*_<language>.ts`, compiled to `.qm` by `make install`
(pyside6-lrelease). Every `hearth*_<language>.qm` found is loaded, so a catalog of the engine's
messages beside the interface's one needs no code here; Qt's own (`qtbase_<language>.qm`, for the
buttons of standard dialogs) comes from PySide6. The choice is read once, before the main window
is built: a change in Settings takes effect at the next start.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

T = TypeVar("T")

SYSTEM = "system"
ENGLISH = "en"
CHINESE = "zh_CN"
# From the source tree (and the frozen app's copy of it), else where `pip install` put them.
TRANSLATION_PLACES = (
    Path(__file__).resolve().parent.parent / "assets" / "translations",
    Path(sys.prefix) / "share" / "hearth" / "translations",
)

_log = logging.getLogger("hearth.i18n")
_installed: list[QTranslator] = []


def language_names() -> dict[str, str]:
    """The choices in Settings, each in its own language but "System"."""
    return {
        SYSTEM: QCoreApplication.translate("language", "System"),
        ENGLISH: "English",
        CHINESE: "简体中文",
    }


def resolve(choice: str, system: QLocale | None = None) -> str:
    """The language a choice means here: "system" follows the locale (any Chinese one picks
    Simplified Chinese, the only Chinese there is), anything else is English."""
    if choice == SYSTEM:
        locale = system if system is not None else QLocale.system()
        return CHINESE if locale.language() == QLocale.Language.Chinese else ENGLISH
    return choice if choice in (ENGLISH, CHINESE) else ENGLISH


def catalogs(language: str) -> list[Path]:
    """Hearth's compiled catalogs for `language`: the interface's and any others (the engine's)."""
    for place in TRANSLATION_PLACES:
        found = sorted(place.glob(f"hearth*_{language}.qm"))
        if found:
            return found
    return []


def install(choice: str) -> str:
    """Installs the translators for `choice` into the running application (replacing any
    installed before); returns the language now shown."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install() needs a QApplication")
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    language = resolve(choice)
    if language == ENGLISH:
        QLocale.setDefault(QLocale.system())
        return language
    files = catalogs(language)
    if not files:
        _log.warning("no compiled translations for %s: run make install; showing English",
                     language)
        return ENGLISH
    qt_translations = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    for path in [qt_translations / f"qtbase_{language}.qm", *files]:
        translator = QTranslator(app)
        if translator.load(str(path)):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            _log.warning("could not load the translation %s", path)
    QLocale.setDefault(QLocale(language))
    _log.info("interface language %s (%s)", language, ", ".join(p.name for p in files))
    return language


def uninstall() -> None:
    """Back to English (the tests start windows in either language in one process)."""
    install(ENGLISH)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a module-level text for lupdate; `translated` translates it where it is shown."""
    del context
    return text


def translated(context: str, value: T) -> T:
    """A text marked with QT_TRANSLATE_NOOP, or a tuple, list or dict (its values) of them, in
    the interface's language."""
    if isinstance(value, str):
        return QCoreApplication.translate(context, value)  # type: ignore[return-value]
    if isinstance(value, tuple | list):
        return type(value)(translated(context, item) for item in value)
    if isinstance(value, dict):
        return {key: translated(context, item)  # type: ignore[return-value]
                for key, item in value.items()}
    return value
