"""`hearth-cli models search | pull` as a person runs them, against the Hub imitation."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.commands.models_hub import choose_option
from engine.errors import ModelError
from engine.models.hub import QuantOption, RemoteFile
from tests.hub_imitation import HubImitation, hub_imitation, make_gguf

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO = "hearth-test/Tiny-Chat-GGUF"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, bundled_model: Path) -> Iterator[HubImitation]:
    for imitation in hub_imitation(monkeypatch):
        imitation.add_repo(REPO, {
            "Tiny-Chat-Q4_1.gguf": bundled_model,
            "Tiny-Chat-Q8_0.gguf": make_gguf(200_000, seed=4),
        }, downloads=77)
        yield imitation


def hearth_cli(*args: str, home: Path, endpoint: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEARTH_HOME": str(home), "HF_ENDPOINT": endpoint}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


def test_search_prints_one_line_per_repository(hub: HubImitation, hearth_home: Path) -> None:
    result = hearth_cli("models", "search", "tiny", home=hearth_home, endpoint=hub.endpoint)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(REPO) and "77 downloads" in result.stdout


def test_pull_downloads_verifies_and_lists_the_model(
    hub: HubImitation, hearth_home: Path, bundled_model: Path
) -> None:
    pulled = hearth_cli("models", "pull", f"{REPO}:Q4_1", home=hearth_home,
                        endpoint=hub.endpoint)
    assert pulled.returncode == 0, pulled.stderr
    assert "sha256 verified" in pulled.stdout
    assert hub.bytes_sent[f"{REPO}/Tiny-Chat-Q4_1.gguf"] == bundled_model.stat().st_size
    listed = hearth_cli("models", "list", home=hearth_home, endpoint=hub.endpoint)
    assert "Tiny-Chat-Q4_1" in listed.stdout and f"downloaded from {REPO}" in listed.stdout


def test_pull_continues_a_cut_download_from_where_it_stopped(
    hub: HubImitation, hearth_home: Path, bundled_model: Path
) -> None:
    size = bundled_model.stat().st_size
    hub.cut_after(REPO, "Tiny-Chat-Q4_1.gguf", size // 3)
    result = hearth_cli("models", "pull", f"{REPO}:Q4_1", home=hearth_home,
                        endpoint=hub.endpoint)
    assert result.returncode == 0, result.stderr
    assert hub.ranges[f"{REPO}/Tiny-Chat-Q4_1.gguf"][-1] == f"bytes={size // 3}-"
    assert hub.bytes_sent[f"{REPO}/Tiny-Chat-Q4_1.gguf"] == size  # nothing fetched twice


def test_search_offline_says_it_needs_the_network(hearth_home: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = hearth_cli("models", "search", "qwen", home=hearth_home,
                        endpoint=f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stderr.startswith("hearth-cli: ") and "network" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def _option(quant: str) -> QuantOption:
    name = f"Model-{quant}"
    return QuantOption("o/r", "0" * 40, name, quant, (RemoteFile(f"{name}.gguf", 1, None),))


def test_pull_without_a_quantization_picks_a_common_one_or_asks() -> None:
    options = [_option("Q8_0"), _option("Q4_K_M"), _option("F16")]
    assert choose_option("o/r", None, options).quant == "Q4_K_M"
    assert choose_option("o/r", "q8_0", options).quant == "Q8_0"
    assert choose_option("o/r", "Model-F16.gguf", options).quant == "F16"
    with pytest.raises(ModelError, match="choose one of: Q8_0, Q4_K_M, F16"):
        choose_option("o/r", "Q2_K", options)
    with pytest.raises(ModelError, match="several models"):
        choose_option("o/r", None, [_option("IQ2_XS"), _option("IQ3_M")])
