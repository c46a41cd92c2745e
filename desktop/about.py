"""The About dialog: versions, backend, where data lives, the bundled model's license."""

from __future__ import annotations

import ctypes
from html import escape
from importlib.metadata import PackageNotFoundError, version

from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.host.backend import BackendInfo, llama_cpp_version
from engine.paths import app_paths


def hearth_version() -> str:
    try:
        return version("hearth")
    except PackageNotFoundError:
        return "development"


def llama_cpp_build() -> str:
    """The llama.cpp commit and ggml version that llama-cpp-python was built from."""
    try:
        from llama_cpp import _ggml  # private, but the only handle on ggml's version calls

        lib = _ggml.libggml
        lib.ggml_commit.restype = lib.ggml_version.restype = ctypes.c_char_p
        return f"{lib.ggml_commit().decode()}, ggml {lib.ggml_version().decode()}"
    except (ImportError, OSError, AttributeError, UnicodeDecodeError):
        return "build not known"


def show_about(parent: QWidget, backend: BackendInfo | None) -> None:
    """`backend` comes from the engine thread once a model loaded; the GUI never probes it."""
    paths = app_paths()
    backend_name = backend.name if backend else "not known until a model loads"
    QMessageBox.about(
        parent,
        "About Hearth",
        f"<h3>Hearth {hearth_version()}</h3>"
        "<p>Private, offline AI chat on your own computer.</p>"
        f"<p>llama.cpp {llama_cpp_build()} (llama-cpp-python {llama_cpp_version()}), "
        f"backend: {backend_name}<br>Qt for Python {pyside_version}</p>"
        f"<p>Data: {escape(str(paths.data_dir))}<br>Models: {escape(str(paths.models_dir))}<br>"
        f"Settings: {escape(str(paths.config_dir))}<br>Log: {escape(str(paths.log_file))}</p>"
        "<p>Bundled model: SmolLM2-135M-Instruct by Hugging Face, Apache License 2.0.<br>"
        "Hearth and llama.cpp: MIT License. Qt for Python: LGPL 3.0.</p>",
    )
