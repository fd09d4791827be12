# Customer Hub: `make demo` to try it, `make test` to run the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test messages install install-dev install-demo install-bench install-mutation bench bench-smoke bench-storm chaos soak mutation lint format migrate seed workers worker webhooks-worker beat clean

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

$(VENV)/.installed-mutation: $(VENV)/.installed-dev pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev,mutation]"
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[bench]"
	touch $@

# Every install compiles the translation catalogs (locale/*/LC_MESSAGES/*.po
# -> .mo, never committed) with babel: no system package needed.
install: $(VENV)/.installed
	@$(BIN)/python -m hub.catalogs compile
install-dev: install $(VENV)/.installed-dev
install-demo: install $(VENV)/.installed-demo
install-bench: install $(VENV)/.installed-bench
install-mutation: install $(VENV)/.installed-mutation

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

# After changing a translatable string: update locale/{de,fr,es} (django and
# djangojs domains) for the translators. Needs GNU gettext (apt: gettext);
# the suite fails while a catalog is stale (docs/translating.md).
messages: install
	DEBUG=1 $(BIN)/python manage.py catalogs_update

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

# The benchmark harness (bench/run.py): SCALE=tiny|small|full generates the
# dataset into BENCH_DATABASE_URL (default hub_bench_data on 127.0.0.1), serves
# it with gunicorn on loopback and measures every hub page. BENCH_ARGS passes
# options, e.g. BENCH_ARGS=--reuse to keep a loaded dataset.
SCALE ?= small
bench: install-bench
	@command -v wrk >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] \
		&& apt-get install -y -qq wrk >/dev/null 2>&1; } || echo "(wrk not found: using the Python load generator)"
	$(BIN)/python -m bench.run --scale $(SCALE) $(BENCH_ARGS)

# CI: the harness at a tiny scale, seconds; fails on breakage or on a page
# whose query count grows with the history, never on timings.
bench-smoke: install
	$(BIN)/python -m bench.run --scale tiny --smoke

# A renewal day (bench/storm): SCALE=small 1,000 renewals, SCALE=full 20,000,
# RENEWALS=N any number; LATENCY_MS (250) per processor call, RATE_LIMIT
# (100 reads/s per account) at the Stripe fake; STORM_ARGS passes options
# (e.g. --label after, --timeout 300). gunicorn and the Celery workers of
# docker-compose.yml on loopback, PostgreSQL hub_bench_storm, Redis db 3.
bench-storm: install-bench
	$(BIN)/python -m bench.storm.run --scale $(SCALE) $(STORM_ARGS)

# Mutation testing of the modules listed under [tool.mutmut] in pyproject.toml:
# a fresh mutants/ copy, one mutant at a time (a 2-core machine stays usable,
# the more so under nice), on SQLite whatever DATABASE_URL says, then the
# report in docs/testing/mutation.md. Most of an hour, so not part of CI.
# MUTANTS narrows the run, e.g. MUTANTS='billing.cancellation*'.
MUTANTS ?=
mutation: install-mutation
	rm -rf mutants
	env -u DATABASE_URL -u REDIS_URL -u REQUIRE_SERVICES HUB_TEST_SQLITE_FILE=$(CURDIR)/mutants/test.sqlite3 \
		nice -n 15 $(BIN)/mutmut run --max-children 1 $(MUTANTS)
	$(BIN)/python -m tests.support.mutation_report

# The workers of development: `make workers` runs both below. Production
# runs the pdf queue on its own worker too (docker-compose.yml). A worker can
# die when Redis goes away while it holds a task (issue 20; celery 5.7.0):
# each loop starts it again, as docker-compose's restart policy does.
# Ctrl-C twice to stop.
workers: install
	$(MAKE) -j2 worker webhooks-worker

worker: install
	while true; do $(BIN)/celery -A hub worker -Q hub,pdf --loglevel=INFO; \
		echo "worker exited ($$?); restarting in 2 s" >&2; sleep 2; done

# [issue 26] Webhook processing waits on the processor, not the CPU: many
# threads, bounded by each processor account's shared rate limit.
WEBHOOK_THREADS ?= 32
webhooks-worker: install
	while true; do DATABASE_POOL_MAX=$$(( $(WEBHOOK_THREADS) + 2 )) $(BIN)/celery -A hub worker \
		-Q webhooks --pool=threads --concurrency=$(WEBHOOK_THREADS) -n webhooks@%h --loglevel=INFO; \
		echo "webhooks worker exited ($$?); restarting in 2 s" >&2; sleep 2; done

# Periodic work: long retries waiting in the database, the webhook sweep,
# purges. Exactly one beat per deployment.
beat: install
	mkdir -p var && $(BIN)/celery -A hub beat --loglevel=INFO --schedule var/celerybeat-schedule

# The fault experiments with the production values (issue 20): own
# PostgreSQL, Redis, SMTP sink, gunicorn, worker and beat under /tmp; about
# an hour; prints a table. CHAOS_ARGS="--profile short" for the CI version.
chaos: install-dev
	$(BIN)/python -m tests.reliability.chaos $(CHAOS_ARGS)

# A minute of the embedded demo under card changes, cancellations and
# renewals' webhooks (SQLite, runserver, localstripe); CI runs it after the
# suite. SOAK_SECONDS shortens or lengthens it.
soak: install-dev
	$(BIN)/pytest -m soak -p no:randomly tests/integration/test_demo_minute.py

clean:
	rm -rf $(VENV) var
