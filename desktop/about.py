"""The About dialog: versions, backend, where data lives, the bundled model's license."""

from __future__ import annotations

import ctypes
from html import escape
from importlib.metadata import PackageNotFoundError, version

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication
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
        return (QCoreApplication.translate("about", "{decode}, ggml {decode2}")
                .format(decode=lib.ggml_commit().decode(), decode2=lib.ggml_version().decode()))
    except (ImportError, OSError, AttributeError, UnicodeDecodeError):
        return QCoreApplication.translate("about", "build not known")


def show_about(parent: QWidget, backend: BackendInfo | None) -> None:
    """`backend` comes from the engine thread once a model loaded; the GUI never probes it."""
    paths = app_paths()
    backend_name = backend.name if backend else QCoreApplication.translate("about", "not known "
                                                                                    "until a model "
                                                                                    "loads")
    QMessageBox.about(
        parent,
        QCoreApplication.translate("about", "About Hearth"),
        QCoreApplication.translate("about", "<h3>Hearth {hearth_version}</h3><p>Private, offline "
                                            "AI chat on your own computer.</p><p>llama.cpp "
                                            "{llama_cpp_build} (llama-cpp-python "
                                            "{llama_cpp_version}), backend: {backend_name}<br>Qt "
                                            "for Python {pyside_version}</p><p>Data: "
                                            "{data_dir}<br>Models: {models_dir}<br>Settings: "
                                            "{config_dir}<br>Log: {log_file}</p><p>Bundled model: "
                                            "SmolLM2-135M-Instruct by Hugging Face, Apache License "
                                            "2.0.<br>Hearth and llama.cpp: MIT License. Qt for "
                                            "Python: LGPL 3.0.</p>")
                                                .format(hearth_version=hearth_version(),
                                                        llama_cpp_build=llama_cpp_build(),
                                                                llama_cpp_version=llama_cpp_version(
                                                            ), backend_name=backend_name,
                                                        pyside_version=pyside_version,
                                                        data_dir=escape(str(paths.data_dir)),
                                                        models_dir=escape(str(paths.models_dir)),
                                                        config_dir=escape(str(paths.config_dir)),
                                                        log_file=escape(str(paths.log_file))),
    )
