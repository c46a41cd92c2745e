"""The freedesktop entry and the icons: valid, complete, and named after the app id.

The bundle itself (PyInstaller build, frozen self-test) is checked by `make test-package`.
"""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import tomllib
from pathlib import Path

import pytest

from engine.paths import APP_ID, APP_NAME

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
DESKTOP_FILE = ASSETS / f"{APP_ID}.desktop"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def validate(path: Path, tool: str) -> None:
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    # Not even a hint: those mean a menu may list the app twice or in an odd place.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_desktop_entry_validates() -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:  # an allowed skip (tests/suite_rules.py)
        pytest.skip("desktop-file-validate is not installed (apt package desktop-file-utils)")
    validate(DESKTOP_FILE, tool)


def test_desktop_entry_is_named_after_the_app_id_and_starts_the_gui_script() -> None:
    entry = desktop_entry(DESKTOP_FILE)
    gui_scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    # Wayland matches windows to entries by QGuiApplication.desktopFileName(), set to APP_ID.
    assert DESKTOP_FILE.stem == APP_ID
    assert entry["Icon"] == APP_ID
    assert entry["Name"] == entry["StartupWMClass"] == APP_NAME
    assert gui_scripts[entry["Exec"]] == "desktop.app:main"
    assert entry["Terminal"] == "false"


@pytest.mark.parametrize("size", ICON_SIZES)
def test_hicolor_icon_exists_at_each_size(size: int) -> None:
    icon = ASSETS / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    assert png_size(icon.read_bytes()) == (size, size)


def test_windows_icon_holds_every_size_up_to_256() -> None:
    data = (ASSETS / "icons" / "hearth.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, *_, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index:22 + 16 * index])
        image = png_size(data[offset:offset + length])
        assert image == (width or 256, height or 256)
        sizes.append(image[0])
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_macos_icon_holds_retina_sizes_up_to_1024() -> None:
    data = (ASSETS / "icons" / "hearth.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    entries, offset = {}, 8
    while offset < len(data):
        kind, length = data[offset:offset + 4], struct.unpack(">I", data[offset + 4:offset + 8])[0]
        entries[kind.decode()] = png_size(data[offset + 8:offset + length])[0]
        offset += length
    assert entries == {"ic11": 32, "ic12": 64, "ic07": 128, "ic13": 256, "ic08": 256,
                       "ic14": 512, "ic09": 512, "ic10": 1024}


def test_make_install_desktop_installs_a_valid_entry_and_uninstall_removes_it(
    tmp_path: Path,
) -> None:
    make = shutil.which("make")
    assert make is not None, "make is needed to build Hearth"
    data_home = tmp_path / "share"
    launcher = tmp_path / "Hearth folder" / "Hearth"  # a space, as in a real home folder
    launcher.parent.mkdir()
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    env.pop("MAKEFLAGS", None)
    command = [make, "-s", "-C", str(ROOT), f"HEARTH_EXEC={launcher}"]

    subprocess.run([*command, "install-desktop"], env=env, check=True, capture_output=True)
    installed = data_home / "applications" / f"{APP_ID}.desktop"
    entry = desktop_entry(installed)
    assert entry["Exec"] == f'"{launcher}"' and entry["TryExec"] == str(launcher)
    # The rest is the entry test_desktop_entry_validates checks, line for line.
    source = [line for line in DESKTOP_FILE.read_text().splitlines()
              if not line.startswith("Exec=")]
    assert [line for line in installed.read_text().splitlines()
            if not line.startswith(("Exec=", "TryExec="))] == source
    tool = shutil.which("desktop-file-validate")
    if tool is not None:
        validate(installed, tool)
    icons = [data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
             for size in ICON_SIZES]
    icons.append(data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    assert all(icon.is_file() for icon in icons)

    subprocess.run([*command, "uninstall-desktop"], env=env, check=True, capture_output=True)
    assert not installed.exists()
    assert not any(icon.exists() for icon in icons)
