# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL pass of the end-to-end tests; CI always runs it, elsewhere it runs when the server answers.
ODR_TEST_POSTGRES_URL ?= postgresql+psycopg://127.0.0.1:5432/test

.PHONY: run test install install-test i18n i18n-compile architecture bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first (the CPU wheel): argostranslate's dependencies would otherwise pull a multi-GB CUDA build.
TORCH = torch==2.13.0

install: $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e .
	$(BIN)/python tools/i18n.py compile

install-test: $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python tools/i18n.py compile

run: install
	$(BIN)/odr db upgrade
	$(BIN)/odr demo
	$(BIN)/odr serve --host $(HOST) --port $(PORT)

# Lint, formatting, the import contract of docs/architecture.md, the mypy budget, then the suite (in random
# order: pytest-randomly prints the seed; rerun that order with PYTEST_ARGS="--randomly-seed=N"). Work-stealing
# keeps both cores busy to the end, where whole files per worker left one finishing a browser file alone.
test: install-test
	$(BIN)/ruff check odr tests tools benchmarks
	$(BIN)/ruff format --check odr tests tools benchmarks
	$(BIN)/lint-imports
	$(BIN)/python tools/mypy_budget.py
	url="$$($(BIN)/python -m odr.testing.postgres '$(ODR_TEST_POSTGRES_URL)')" || exit 1; \
	ODR_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

# Translations: extract every marked string, update the ten catalogs, compile, then list what is missing.
i18n: install
	$(BIN)/python tools/i18n.py refresh

i18n-compile: install
	$(BIN)/python tools/i18n.py compile

# The picture of docs/architecture.md, drawn from the code's imports (Graphviz's dot).
architecture: install-test
	$(BIN)/python tools/architecture.py svg

# Every benchmark next to its baseline, in one run (QUICK=1: small sizes; DATABASE=URL: the benchmarks of the
# records on that database, e.g. a PostgreSQL database of their own); figures go to docs/performance.md.
bench: install-test
	$(BIN)/python benchmarks/run.py $(if $(QUICK),--quick) $(if $(DATABASE),--database '$(DATABASE)')

clean:
	rm -rf $(VENV) instance .pytest_cache
