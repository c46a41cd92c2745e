"""Remote engines: OpenAI-compatible servers (llama.cpp's server, vLLM, Ollama, another Hearth)
used as model sources beside the local runtime. Plain Python, no Qt."""
