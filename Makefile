# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL pass of the end-to-end tests; CI always runs it, elsewhere it runs when the server answers.
ODR_TEST_POSTGRES_URL ?= postgresql+psycopg://127.0.0.1:5432/test

.PHONY: run test install install-test i18n-compile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

run: install
	$(BIN)/odr db upgrade
	$(BIN)/odr demo
	$(BIN)/odr serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check odr tests
	url="$$($(BIN)/python -m odr.testing.postgres '$(ODR_TEST_POSTGRES_URL)')" || exit 1; \
	ODR_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
