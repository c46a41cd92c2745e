"""Where Hearth keeps its data and configuration.

`HEARTH_HOME` puts everything under one folder (portable installs, tests); otherwise the
platform's own data and config folders are used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Hearth"
APP_ID = "io.github.hearth.Hearth"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    config_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "hearth.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def presets_file(self) -> Path:
        return self.config_dir / "presets.json"

    @property
    def remote_engines_file(self) -> Path:
        return self.data_dir / "remote-engines.json"

    @property
    def safe_configs_file(self) -> Path:
        """How each model that crashed the engine host is loaded now (engine/host/safe_configs)."""
        return self.data_dir / "safe-loading.json"

    @property
    def speed_file(self) -> Path:
        """This computer's measured generation speed (engine/models/speed.py)."""
        return self.data_dir / "speed.json"

    @property
    def welcomed_file(self) -> Path:
        """Present once the first-run welcome has done its job (desktop/welcome)."""
        return self.config_dir / "welcomed"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "hearth.log"

    def ensure(self) -> AppPaths:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_dir.mkdir(parents=True, exist_ok=True)
        return self


def app_paths() -> AppPaths:
    home = os.environ.get("HEARTH_HOME")
    if home:
        root = Path(home).expanduser()
        return AppPaths(data_dir=root / "data", config_dir=root / "config")
    return AppPaths(
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
    )
