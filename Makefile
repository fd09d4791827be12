# Customer Hub: `make demo` to try it, `make test` to run the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-dev lint format migrate seed worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when pyproject.toml changes; the stamp files remember.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

seed: migrate
	DEBUG=1 $(BIN)/python manage.py seed_demo

# The embedded demo: SQLite under var/, tasks run in-process, mail printed
# and kept for /_dev/mail/. Ctrl-C stops the server.
demo: seed
	@echo ""
	@echo "  Customer Hub demo:   http://$(HOST):$(PORT)/demo/updateinfo/"
	@echo "  Emails it sends:     http://$(HOST):$(PORT)/_dev/mail/"
	@echo ""
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Lint (ruff, mypy) and the whole suite. With DATABASE_URL it runs on
# PostgreSQL, with REDIS_URL against Redis and a real Celery worker;
# REQUIRE_SERVICES=1 turns the skips of service-bound tests into failures.
test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A hub worker --loglevel=INFO

clean:
	rm -rf $(VENV) var
