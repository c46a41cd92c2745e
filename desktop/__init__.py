"""Hearth's Qt Widgets desktop app."""
