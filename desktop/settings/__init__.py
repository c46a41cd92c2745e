"""The settings dock and its validated forms."""
