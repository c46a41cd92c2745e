"""Model files loaded in a child process, one after another.

llama.cpp aborts the whole process on some files (a GGML_ASSERT while loading, or at the first
reply), which must fail the one test, not pytest. One child serves file after file: a new Python
with llama.cpp cost half a second a file, over fifty files a run. After a death the next file
gets a new child. Each file is loaded with a 512-token context and asked "Hi" for four tokens.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import IO

REPO = Path(__file__).parents[2]

_LOOP = textwrap.dedent("""
    import json, sys, threading
    from pathlib import Path
    from engine.errors import HearthError
    from engine.chat.prompt import ChatMessage
    from engine.host.runtime import GenerationRequest, Runtime
    from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
    settings = ChatSettings(sampling=SamplingSettings(max_tokens=4, seed=1))
    for line in sys.stdin:
        runtime = Runtime()
        try:
            runtime.load(Path(line.rstrip("\\n")), RuntimeSettings(n_ctx=512), n_threads=1)
            request = GenerationRequest((ChatMessage("user", "Hi"),), settings)
            result = "answered " + list(runtime.stream(request, threading.Event()))[-1].text
        except HearthError as error:
            result = f"refused: {error}"
        except Exception as error:
            result = f"crashed: {type(error).__name__} {error}"
        finally:
            runtime.close()
        print("result", json.dumps(result), flush=True)
""")


class LoadChild:
    """`load(path)` answers "answered …", "refused: …" (a HearthError's message, which may hold
    a line break: the test then says so) or "crashed: …"; a death fails with its exit code and
    the end of llama.cpp's log. llama.cpp's log goes to `log_path`, never to a pipe that could
    fill up and stall the child."""

    def __init__(self, log_path: Path) -> None:
        self._log_path = log_path
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def load(self, path: Path) -> str:
        process = self._running()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{path}\n")
        process.stdin.flush()
        printed: list[str] = []  # before an abort, ggml may print a backtrace to standard output
        for line in process.stdout:
            if line.startswith("result "):
                result: str = json.loads(line.removeprefix("result "))
                return result
            printed.append(line)
        code = process.wait(timeout=60)
        self.close()
        log = self._log_path.read_text(encoding="utf-8", errors="replace")
        raise AssertionError(f"the process died (exit code {code}): {log[-1500:]}"
                             f"{''.join(printed)[-1500:]}")

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process.wait(timeout=60)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _running(self) -> subprocess.Popen[str]:
        if self._process is None:
            self._log = self._log_path.open("w", encoding="utf-8")
            self._process = subprocess.Popen(
                [sys.executable, "-c", _LOOP], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self._log, text=True, cwd=REPO)
        return self._process
