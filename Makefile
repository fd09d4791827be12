# Customer Hub: `make demo` to try it, `make test` to run the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-dev install-demo lint format migrate seed worker clean

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

# The demo's fake processors (localstripe) come with the demo extra.
$(VENV)/.installed-demo: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[demo]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-demo: $(VENV)/.installed-demo

migrate: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

seed: migrate
	DEBUG=1 SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py seed_demo

# The embedded demo: SQLite under var/, tasks run in-process, mail printed
# and kept for /_dev/mail/, Stripe and PayPal played by local fakes on
# 127.0.0.1 (localstripe on STRIPE_PORT, ours on PAYPAL_PORT). Ctrl-C stops
# the server and the fakes.
STRIPE_PORT ?= 12111
PAYPAL_PORT ?= 12112
demo: install-demo migrate
	DEBUG=1 $(BIN)/python -m tests.support.demo --host $(HOST) --port $(PORT) \
		--stripe-port $(STRIPE_PORT) --paypal-port $(PAYPAL_PORT)

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
