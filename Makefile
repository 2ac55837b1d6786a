# Matchmaker: `make run` starts the platform with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AXE_VERSION := 4.11.0
AXE := .cache/node/node_modules/axe-core/axe.min.js
# The W3C's Nu HTML Checker (MIT), which the crawl tests run over every page; it needs a Java runtime.
VNU_VERSION := 26.9.27
VNU := .cache/node/node_modules/vnu-jar/build/dist/vnu.jar
# Two iCalendar parsers in Node.js for the calendar tests: Mozilla's ical.js (MPL-2.0) and node-ical (Apache-2.0).
ICAL_PARSERS := .cache/node/node_modules/node-ical/package.json
# Lighthouse (Apache-2.0) measures the pages' speed in Chromium: `make lighthouse`, not part of `make test`.
LIGHTHOUSE_VERSION := 12.8.2
LIGHTHOUSE := .cache/node/node_modules/.bin/lighthouse
export FLASK_APP := wsgi

.PHONY: run test test-postgres test-fast lint bench bench-platform lighthouse static translations extract-messages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

# Compiled catalogues are build output: made from the .po files on every run and test.
translations: $(STAMP)
	$(BIN)/pybabel compile -d matchmaker/translations --statistics

$(AXE):
	npm install --prefix .cache/node --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

$(VNU):
	npm install --prefix .cache/node --no-audit --no-fund --silent vnu-jar@$(VNU_VERSION)

$(ICAL_PARSERS):
	npm install --prefix .cache/node --no-audit --no-fund --silent ical.js@2.2.1 node-ical@0.27.2

$(LIGHTHOUSE):
	npm install --prefix .cache/node --no-audit --no-fund --silent lighthouse@$(LIGHTHOUSE_VERSION)

# The static files' hashed, compressed copies (.cache/static): made by the app at start when out of date;
# this makes them ahead (at deployment) and removes copies unused for a week. See "Static files" in the README.
static: $(STAMP)
	$(BIN)/flask static build

run: $(STAMP) translations
	@mkdir -p instance
	@if [ -z "$$DATABASE_URL" ] && [ ! -f instance/matchmaker.db ]; then first=1; fi; \
	$(BIN)/flask db upgrade && \
	if [ -n "$$first" ]; then $(BIN)/flask demo seed; fi
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# The suite runs on every core (pytest-xdist); each worker has its own SQLite file or PostgreSQL schema.
# TEST_WORKERS=0 runs it in one process. The 15 slowest tests and the wall time are printed at the end.
TEST_WORKERS ?= auto
# Each worker collects the whole suite, and pytest rewrites the asserts of every test module it imports: 15 s a
# collection, 6 s when the rewritten modules are cached. A shell with PYTHONDONTWRITEBYTECODE set (as this
# kind of machine has) forbids the cache, so the tests keep their bytecode under .cache/pycache instead.
PYTEST := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/.cache/pycache \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

test: $(STAMP) translations $(AXE) $(VNU) $(ICAL_PARSERS)
	$(PYTEST)

# The PostgreSQL half of CI: the tests that talk to the database (see "Tests" in the README).
test-postgres: $(STAMP) translations
	@test -n "$$TEST_DATABASE_URL" || { echo "TEST_DATABASE_URL is not set"; exit 2; }
	$(PYTEST) tests/integration -m "not output_check"

test-fast: $(STAMP) translations
	$(PYTEST) -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

bench: $(STAMP) translations
	$(BIN)/python -m bench

# The whole platform under load against issue 12's targets (PostgreSQL and Redis on 127.0.0.1; the machine to
# itself): ITEMS=2000 for a quick check of the harness.
ITEMS ?= 50000
bench-platform: $(STAMP) translations
	$(BIN)/python -m bench platform --items $(ITEMS)

# Lighthouse's mobile performance score of the home page, the catalogue and an event page, served by gunicorn
# in the production configuration with the demo data; fails under 95 (issue 18). Slow: about 6 minutes.
lighthouse: $(STAMP) translations $(LIGHTHOUSE)
	$(BIN)/python -m bench lighthouse

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o matchmaker/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .cache .pytest_cache
