# WeLoop: `make run` serves the platform with demo data, `make test` runs the whole suite.
# Needs only python3 (3.11+), make and git. Everything else lands in .venv.

SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
PYTEST_ARGS ?=

.PHONY: run test install install-dev lint typecheck bench demo browser clean help

help:
	@echo "make run    - install, migrate, seed the demo on first start, serve on http://127.0.0.1:8000"
	@echo "make test   - install dev dependencies and run the whole test suite"
	@echo "make lint   - ruff, mypy and the import-layer contract"
	@echo "make bench  - run the benchmarks under bench/ and write JSON reports to bench/reports/"
	@echo "make demo   - reset and reseed the demo merchant"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "WeLoop needs Python 3.11 or newer (python3 --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(RUNTIME_STAMP) $@

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/weloop serve --seed-demo

demo: $(RUNTIME_STAMP)
	$(BIN)/weloop demo

test: $(DEV_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy weloop
	$(BIN)/lint-imports

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

# Browser tests drive Debian's chromium (never a Playwright download). Needs root: CI runs it.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Translations (zh_Hans is the UI's default language): list the error messages, extract every string into
# weloop/locale/zh_Hans/LC_MESSAGES/django.po and compile django.mo (committed: users may lack gettext).
# Translate the new empty entries in django.po, then run it again; weloop/locale/tests fails until you do.
.PHONY: messages
messages: $(RUNTIME_STAMP)
	@command -v xgettext >/dev/null 2>&1 || { echo "make messages needs GNU gettext (apt-get install gettext)"; exit 1; }
	$(BIN)/python -m weloop.locale.collect_error_messages
	$(BIN)/python manage.py makemessages -l zh_Hans -e html,py,txt \
		--ignore=.venv --ignore=tests --ignore=bench --ignore=var --ignore=docs
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv
