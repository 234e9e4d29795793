# The two quick-start commands: `make up` (run the stack) and `make test`.
# Each installs what it needs into ./.venv first: the pinned dependencies from the
# lock file (the same pins the image uses), then this checkout on top, editable.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_LOCK := requirements/dev.lock
RUNTIME_LOCK := requirements/runtime.lock
# pip-compile flags shared by both lock files: hashes, so an install checks every file.
COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

.PHONY: up test lint lock install clean

$(STAMP): pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --requirement $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/strangler up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/strangler ratchet check
	$(BIN)/hadolint Dockerfile

test: lint
	$(BIN)/pytest

# Re-pin after editing the dependencies in pyproject.toml: the image installs
# runtime.lock (no extras), CI and `make install` install dev.lock (every extra).
lock: $(STAMP)
	$(COMPILE) --output-file $(RUNTIME_LOCK) pyproject.toml
	$(COMPILE) --extra embedded --extra dev --extra ratchet --output-file $(DEV_LOCK) pyproject.toml

clean:
	rm -rf $(VENV) .strangler .pytest_cache .ruff_cache
