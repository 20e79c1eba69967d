# Two commands for a fresh machine: `make run` and `make test`.
VENV    := .venv
BIN     := $(VENV)/bin
FLASK   := $(BIN)/flask --app wsgi
PYBABEL := $(BIN)/pybabel
CATALOG := casesys/translations
DEV_ENV := CASESYS_ENV=development

.PHONY: install run test test-sqlite test-postgres lint imports translations

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## Migrate the SQLite database under instance/, load reference, demo and 2016–2020 history data, serve on :5000.
run: install
	mkdir -p instance
	$(DEV_ENV) $(FLASK) db upgrade
	$(DEV_ENV) $(FLASK) seed reference
	$(DEV_ENV) $(FLASK) seed demo
	$(DEV_ENV) $(FLASK) seed history
	$(DEV_ENV) CASESYS_SCHEDULER_EMBEDDED=1 $(FLASK) run --host 127.0.0.1 --port 5000

## The import layers (lint-imports), then the whole suite on SQLite, then on PostgreSQL when CASESYS_TEST_DATABASE_URL is set.
test: install
	$(MAKE) --no-print-directory imports
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$CASESYS_TEST_DATABASE_URL" ]; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but CASESYS_TEST_DATABASE_URL is not set: the PostgreSQL run cannot be skipped" >&2; exit 1; \
	else \
		echo "PostgreSQL run skipped: set CASESYS_TEST_DATABASE_URL (see .ci/run) to run the suite on PostgreSQL too"; \
	fi

# One pytest worker per core (TEST_WORKERS=1 for one process). Tests of real concurrency
# (postgres_only: row locks, parallel log-ins, a scheduler failover with a 3 s lease) run afterwards
# on their own, so a busy neighbour cannot make their timing lie.
TEST_WORKERS ?= auto
PARALLEL := -n $(TEST_WORKERS) --dist loadfile

test-sqlite: install
	@echo "== test suite on SQLite =="
	env -u CASESYS_TEST_DATABASE_URL $(BIN)/pytest $(PARALLEL) -m "not postgres_only" $(PYTEST_ARGS)

test-postgres: install
	@echo "== test suite on PostgreSQL ($$CASESYS_TEST_DATABASE_URL) =="
	$(BIN)/pytest $(PARALLEL) -m "not postgres_only" $(PYTEST_ARGS)
	$(BIN)/pytest -m postgres_only $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check casesys tests migrations

# The layers contract in pyproject.toml ([tool.importlinter]): no package imports one above it.
imports: install
	@echo "== import layers =="
	$(BIN)/lint-imports

## Re-extract UI strings and refresh the catalogue; then translate new entries and run it again to compile.
translations: install
	$(PYBABEL) extract -F babel.cfg -k _l -k N_ --no-location --sort-output --width 120 -o $(CATALOG)/messages.pot .
	$(PYBABEL) update -i $(CATALOG)/messages.pot -d $(CATALOG) -l zh_Hans_CN --no-fuzzy-matching --width 120
	$(PYBABEL) compile -d $(CATALOG) --statistics
