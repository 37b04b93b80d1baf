# Two commands for a newcomer: `make run` (the app with demo data) and `make test` (the suite).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format bench bench-quick clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --base-url http://127.0.0.1:$(PORT)/
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://127.0.0.1:$(PORT)/ (log in there; Ctrl-C stops it)"
	$(VENV)/bin/daphne -b 127.0.0.1 -p $(PORT) --websocket_connect_timeout 30 ielts_site.asgi:application

test: $(VENV)/.installed
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The load benchmark (bench/run.py): a fresh PostgreSQL database ielts_bench, Redis db 12, daphne on free ports.
bench: $(VENV)/.installed
	$(PY) -m bench.run

bench-quick: $(VENV)/.installed
	$(PY) -m bench.run --quick

clean:
	rm -rf $(VENV) db.sqlite3 test_db.sqlite3 staticfiles .pytest_cache
