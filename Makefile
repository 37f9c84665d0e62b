# zoombridge: `make run` starts everything on the embedded defaults; `make test` runs the suite.
# Both create .venv and install on first use (Python 3.11+).

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
PYTHON  ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; \
           done)

# axe-core (accessibility checks in the browser tests) from npm, into a folder git ignores.
AXE     := .cache/axe/node_modules/axe-core/axe.min.js

.PHONY: install run test test-postgres lint bench clean axe

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "zoombridge needs Python 3.11 or newer (python3.11 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools  # the venv's bundled setuptools 65.5 has known CVEs (.ci/audit.py)
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

$(AXE):
	npm install --prefix .cache/axe --no-audit --no-fund --loglevel=error axe-core@4

axe: $(AXE)

run: install
	$(BIN)/zoombridge db upgrade
	$(BIN)/zoombridge dev

test: install
	$(BIN)/pytest

test-postgres: install
	ZOOMBRIDGE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
	ZOOMBRIDGE_TEST_REDIS_URL=redis://127.0.0.1:6379/15 $(BIN)/pytest

lint: install
	$(BIN)/ruff check zoombridge workers tests bench

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .cache
