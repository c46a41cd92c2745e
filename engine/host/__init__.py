"""The llama.cpp runtime the engine host process runs: the model, its token loop, KV states."""
