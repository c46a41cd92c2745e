"""How a remote model is named wherever a model is named: `remote:<endpoint>/<model id>`.

Endpoint names have no slash, so the first slash ends the name; model ids may have more
(`meta-llama/Llama-3.1-8B`) and colons (`llama3.2:3b`)."""

from __future__ import annotations

from engine.errors import RemoteError
from engine.text import Text

REMOTE_PREFIX = "remote:"


def model_key_for(endpoint: str, model_id: str) -> str:
    return f"{REMOTE_PREFIX}{endpoint}/{model_id}"


def is_remote_key(key: str | None) -> bool:
    return key is not None and key.startswith(REMOTE_PREFIX)


def parse_model_key(key: str) -> tuple[str, str]:
    """(endpoint name, model id) of a `remote:` key; raises RemoteError when it is malformed."""
    endpoint, slash, model_id = key.removeprefix(REMOTE_PREFIX).partition("/")
    if not key.startswith(REMOTE_PREFIX) or not endpoint or not slash or not model_id:
        raise RemoteError(Text("“{key}” is not a remote model: write remote:<engine name>/<model "
                               "id>, for example remote:lab/llama-3.1-8b.",
                               key=key))
    return endpoint, model_id
