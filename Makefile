# Clausier — the two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on every core (pytest-xdist), a test file per process so that its module fixtures are built once;
# `make test PYTEST_ARGS=` runs it in one process. `-n auto` counts the CPUs the machine really grants (at most 4:
# tests/conftest.py); the 30 slowest tests are listed at the end.
PYTEST_ARGS ?= -n auto --dist loadfile --durations=30

.PHONY: run test setup lint format demo migrate clean vendor bench

# Virtualenv with a Python 3.12+ (Django 6); reinstalled when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt scripts/find_python.sh
	@set -e; if [ ! -x $(PY) ]; then \
		python=$$(scripts/find_python.sh); \
		echo "Création de l'environnement virtuel avec $$python"; \
		"$$python" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

setup: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

# Serve the application with demo data on an embedded SQLite database, with one background task worker beside
# the server (scripts/run.sh; Ctrl-C stops both).
run: export DEBUG ?= 1
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py bootstrap_demo
	PY=$(PY) HOST=$(HOST) PORT=$(PORT) scripts/run.sh

# Run the whole suite (on DATABASE_URL when set, SQLite otherwise).
test: export SECRET_KEY ?= clausier-test-only-secret-key-not-for-production
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks at national volume on a throwaway PostgreSQL (bench/README.md): seed once (~10 min), then the
# yearly report beside hand-written SQL, page latencies under gunicorn, a locust load run and the import.
bench: $(STAMP)
	bench/run.sh

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) var/*.sqlite3* staticfiles .pytest_cache
