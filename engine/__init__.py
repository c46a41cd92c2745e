"""Hearth's engine: models, inference, chat history and settings, with no Qt."""
