# Self-Report: `make run` starts the whole system locally; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# checkov in a virtual environment of its own, as pipx gives it: its pins conflict with the project's.
CHECKOV_VENV := .venv-checkov
CHECKOV_INSTALLED := $(CHECKOV_VENV)/.installed
SOURCES := app.py chalicelib infra tests bench

.PHONY: install run test lint format validate-profiles translations nibrs-codes bench package deploy staff-user search-backfill clean

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

$(CHECKOV_INSTALLED): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $(CHECKOV_INSTALLED)

install: $(INSTALLED) $(CHECKOV_INSTALLED)

run: $(INSTALLED)
	$(BIN)/python -m infra.local_stack

lint: $(INSTALLED)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy

test: lint validate-profiles $(CHECKOV_INSTALLED)
	$(BIN)/python -m pytest

validate-profiles: $(INSTALLED)
	$(BIN)/python -m chalicelib.agency chalicelib/agencies/*.yaml

# One agency's stack: `make package AGENCY=demo` builds and checks it, `make deploy` also applies it.
package: $(INSTALLED)
	$(BIN)/python -m infra.deploy $(or $(AGENCY),$(error set AGENCY, e.g. make package AGENCY=demo)) --dry-run

deploy: $(INSTALLED)
	$(BIN)/python -m infra.deploy $(or $(AGENCY),$(error set AGENCY, e.g. make deploy AGENCY=demo))

staff-user: $(INSTALLED)
	$(BIN)/python -m infra.staff_accounts "$(AGENCY)" "$(USERNAME)" "$(EMAIL)" "$(GROUP)"

# After upgrading a stack from a version without staff search: index the reports it already holds.
search-backfill: $(INSTALLED)
	$(BIN)/python -m infra.search_backfill $(or $(AGENCY),$(error set AGENCY, e.g. make search-backfill AGENCY=demo))

bench: $(INSTALLED)
	$(BIN)/python -m bench.run

# The FBI's code lists read from the vendored NIBRS XSD (chalicelib/nibrs/codes.json), which the
# profile's checks use without loading lxml; a unit test regenerates it and compares.
nibrs-codes: $(INSTALLED)
	$(BIN)/python -m chalicelib.nibrs.codes

translations: $(INSTALLED)
	BIN=$(BIN) bash scripts/translations.sh

format: $(INSTALLED)
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts build
