"""Hearth's engine: models, inference, chat history and settings, with no Qt."""

import os

# huggingface_hub reads this once, at import: without it, its first request also fetches an
# "agent harness" list from huggingface.co to label the user agent. Hearth sends nothing that
# the person did not ask for.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
