"""`hearth-cli serve` as a person runs it: a real process, the URL and token it prints, Ctrl+C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from engine.config import AppConfig, save_config
from engine.paths import app_paths
from tests.engine.test_cli import REPO, hearth_cli


@pytest.mark.usefixtures("bundled_model")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_a_url_and_token_that_work_and_stops_cleanly(
    hearth_home: Path, stop: signal.Signals
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", "0"],
        cwd=REPO, env={**os.environ, "HEARTH_HOME": str(hearth_home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        serving = process.stdout.readline()
        token_line = process.stdout.readline()
        assert serving.startswith("Serving SmolLM2-135M-Instruct"), serving
        url = serving.split(" at ")[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        token = token_line.removeprefix("Token: ").strip()
        client = openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=60)
        reply = client.chat.completions.create(
            model=client.models.list().data[0].id, max_tokens=4,
            messages=[{"role": "user", "content": "Hello"}],
        )
        assert reply.choices[0].message.content
        process.send_signal(stop)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "Stopping…"


def test_a_port_in_use_is_one_plain_error_line(hearth_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = hearth_cli("serve", "--port", str(port), home=hearth_home)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"hearth-cli: Port {port} on 127.0.0.1 is already in use; choose another port or stop "
        "the program using it."
    )


def test_a_network_address_needs_allow_network(hearth_home: Path) -> None:
    result = hearth_cli("serve", "--host", "0.0.0.0", home=hearth_home)
    assert result.returncode == 1
    assert "--allow-network" in result.stderr
    assert result.stdout == ""


def test_serve_leaves_out_a_set_draft_model_that_cannot_draft_and_still_serves(
    hearth_home: Path, bundled_model: Path, tmp_path: Path
) -> None:
    gone = tmp_path / "deleted-drafter.gguf"  # paired, then deleted
    config = AppConfig().with_draft(bundled_model, gone)
    save_config(app_paths().settings_file, config)
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", "0"],
        cwd=REPO, env={**os.environ, "HEARTH_HOME": str(hearth_home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Serving SmolLM2-135M-Instruct")
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"The draft model set for {bundled_model.name} is left out: " in err
    assert "deleted-drafter" in err and "Traceback" not in err
