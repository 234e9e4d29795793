# The two quick-start commands: `make up` (run the stack) and `make test`.
# Each installs what it needs into ./.venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/strangler up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/strangler ratchet check

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .strangler .pytest_cache .ruff_cache
