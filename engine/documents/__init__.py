"""Documents: reading files, summaries of any length, and documents in a chat."""
