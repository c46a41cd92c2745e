"""The About dialog: versions, backend, where data lives, the bundled model's license."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.backend import BackendInfo, llama_cpp_version
from engine.paths import app_paths


def hearth_version() -> str:
    try:
        return version("hearth")
    except PackageNotFoundError:
        return "development"


def show_about(parent: QWidget, backend: BackendInfo | None) -> None:
    """`backend` comes from the engine thread once a model loaded; the GUI never probes it."""
    paths = app_paths()
    backend_name = backend.name if backend else "not known until a model loads"
    QMessageBox.about(
        parent,
        "About Hearth",
        f"<h3>Hearth {hearth_version()}</h3>"
        "<p>Private, offline AI chat on your own computer.</p>"
        f"<p>llama.cpp (llama-cpp-python {llama_cpp_version()}), backend: {backend_name}<br>"
        f"Qt for Python {pyside_version}</p>"
        f"<p>Data: {paths.data_dir}<br>Settings: {paths.config_dir}</p>"
        "<p>Bundled model: SmolLM2-135M-Instruct by Hugging Face, Apache License 2.0.</p>",
    )
