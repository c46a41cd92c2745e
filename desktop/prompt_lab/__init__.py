"""The Prompt Lab tab, its tables and results, and its worker on the engine thread."""
