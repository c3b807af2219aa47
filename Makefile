# The two commands: `make run` and `make test`. Everything else is set up on demand.
SHELL := /bin/bash
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := $(CURDIR)/.venv
PYTEST_ARGS ?=

.PHONY: install run test lint format bench clean

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv>=0.4"

install: $(UV)  ## create .venv with the `racetrack` command and the dev tools
	$(UV) sync --all-groups

run: install  ## start Racetrack in embedded mode (SQLite, local processes) on http://127.0.0.1:7000
	$(VENV)/bin/racetrack up

test: install  ## run the whole suite (unit, integration, e2e)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install  ## ruff + mypy; fails on any finding
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install  ## side-by-side benchmarks; figures go to docs/benchmarks.md
	$(VENV)/bin/python -m bench

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
