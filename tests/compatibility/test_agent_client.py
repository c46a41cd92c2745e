"""A real agent-style client from the registry against Hearth's API: the `llm` CLI (PyPI `llm`,
pinned in constraints-dev.txt) with a Python function as its tool, on Qwen2.5-Coder-1.5B-Instruct
(whose chat template has a tools section). The model decides to call the tool, `llm` runs the
function and sends its result back as a `tool` message, and the model answers with it: the
whole round trip as an agent framework drives it, through OpenAI's wire format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from engine.api.local import LocalServer
from engine.settings import RuntimeSettings
from tests.compatibility.models import MODELS, model_file

TOOLS_MODEL = next(model for model in MODELS if "1.5b-instruct" in model.name)
FUNCTIONS = '''
def multiply(a: int, b: int) -> int:
    """Multiplies two whole numbers exactly."""
    return a * b
'''


def test_the_llm_cli_calls_a_tool_and_answers_with_its_result(tmp_path: Path) -> None:
    with LocalServer(model_file(TOOLS_MODEL), runtime=RuntimeSettings(n_ctx=4096)) as server:
        assert server.loaded is not None
        # llm reads OpenAI-compatible models from this file in its user folder.
        (tmp_path / "extra-openai-models.yaml").write_text(json.dumps([{
            "model_id": "hearth", "model_name": server.loaded.name, "api_base": server.url,
            "api_key_name": "hearth", "supports_tools": True,
        }]))
        result = subprocess.run(
            [str(Path(sys.executable).with_name("llm")), "prompt", "-m", "hearth",
             "--key", server.token, "--functions", FUNCTIONS, "--tools-debug", "--no-log",
             "-o", "temperature", "0",
             "What is 1234 times 5678? Use the multiply tool, then give the number."],
            env={**os.environ, "LLM_USER_PATH": str(tmp_path)}, capture_output=True, text=True,
            timeout=900, check=False)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    # --tools-debug shows (on stderr) the call llm made for the model and what it returned; the
    # answer (stdout) is written from that result, not guessed.
    assert "Tool call: multiply({'a': 1234, 'b': 5678})" in result.stderr, output
    assert "7006652" in result.stdout.replace(",", ""), output
