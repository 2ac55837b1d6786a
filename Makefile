# Matchmaker: `make run` starts the platform with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AXE_VERSION := 4.11.0
AXE := .cache/node/node_modules/axe-core/axe.min.js
export FLASK_APP := wsgi

.PHONY: run test test-fast lint bench translations extract-messages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

# Compiled catalogues are build output: made from the .po files on every run and test.
translations: $(STAMP)
	$(BIN)/pybabel compile -d matchmaker/translations --statistics

$(AXE):
	npm install --prefix .cache/node --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

run: $(STAMP) translations
	@mkdir -p instance
	@if [ -z "$$DATABASE_URL" ] && [ ! -f instance/matchmaker.db ]; then first=1; fi; \
	$(BIN)/flask db upgrade && \
	if [ -n "$$first" ]; then $(BIN)/flask demo seed; fi
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(STAMP) translations $(AXE)
	$(BIN)/python -m pytest

test-fast: $(STAMP) translations
	$(BIN)/python -m pytest -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

bench: $(STAMP) translations
	$(BIN)/python -m bench

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o matchmaker/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .cache .pytest_cache
