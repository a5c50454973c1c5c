# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench load venv dev-venv migrate seed worker beat messages clean services

# Settings default to production-safe DEBUG off; the development targets turn it on (an explicit
# DEBUG in the environment still wins). Prerequisites (migrate, seed) inherit it.
run migrate seed worker beat messages: export DEBUG ?= 1

$(BIN)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed
dev-venv: $(BIN)/.installed-dev

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Serves the site with a real Celery worker and one beat; Ctrl-C stops all three.
run: seed
	@$(PY) manage.py collectstatic --noinput -v0
	@echo ""
	@echo "  Micro-lot Market: http://$(HOST):$(PORT)/"
	@echo ""
	@$(PY) tools/run_dev.py --host $(HOST) --port $(PORT)

worker: venv
	$(BIN)/celery -A marketplace worker --loglevel=INFO

beat: venv
	$(BIN)/celery -A marketplace beat --loglevel=INFO

test: dev-venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true
	$(BIN)/mypy .

bench: dev-venv
	scripts/services-up
	$(PY) bench/run.py $(BENCH_ARGS)

$(BIN)/.installed-load: requirements-load.txt $(BIN)/.installed-dev
	$(PY) -m pip install --quiet -r requirements-load.txt
	touch $@

# Needs PostgreSQL and Redis on 127.0.0.1 (scripts/services-up starts them).
load: $(BIN)/.installed-load
	scripts/services-up
	$(PY) bench/load.py

# Catalogues live beside each app (<app>/locale) and for the shared templates in locale/.
I18N_APPS := core accounts lots cupping marketplace/negotiation marketplace/auctions marketplace/pricing marketplace/competitions marketplace/payments marketplace/moderation
messages: dev-venv
	for app in $(I18N_APPS); do mkdir -p $$app/locale && (cd $$app && $(CURDIR)/$(PY) $(CURDIR)/manage.py makemessages -l es -l pt --no-obsolete -v0); done
	$(PY) manage.py makemessages -l es -l pt --no-obsolete -v0 $(foreach a,$(I18N_APPS) .venv var tests bench tools,--ignore='$(a)/*')
	$(PY) manage.py compilemessages -v0 --ignore='.venv/*'

services:
	scripts/services-up

clean:
	rm -rf $(VENV) var
