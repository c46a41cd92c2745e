"""Hearth's local OpenAI-compatible API: chat completions, completions, models, embeddings.

- `requests` / `responses`: OpenAI's bodies, checked on the way in and built on the way out.
- `jobs`: the bounded FIFO queue and the per-request hand-over between HTTP threads and the
  engine thread (`ApiService`, `ApiJob`).
- `runner`: the engine-thread side, a job as a generator of short steps (`ApiRunner`).
- `server`: the HTTP side on the standard library (`ApiServer`).
- `local`: both halves for one model file on a thread of their own (`LocalServer`).
"""

from engine.api.access import is_loopback, new_token
from engine.api.jobs import ApiService
from engine.api.local import LocalServer
from engine.api.runner import API_OWNER, ApiRunner
from engine.api.server import ApiServer

__all__ = ["API_OWNER", "ApiRunner", "ApiServer", "ApiService", "LocalServer", "is_loopback",
           "new_token"]
