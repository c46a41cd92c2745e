"""Hearth's benchmarks: the engine and the app measured against raw llama.cpp in one run."""
