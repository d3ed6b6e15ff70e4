# Two commands on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export PORT
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test test-postgres lint lighthouse bench deps system-deps clean

run: deps
	$(FLASK) seed-demo --if-empty
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: deps system-deps
	$(BIN)/pytest

# The suite (browser tests excepted) on a throwaway PostgreSQL cluster on 127.0.0.1.
PG_PORT ?= 55432
test-postgres: deps
	dir=$$(mktemp -d -t portal-pg.XXXXXX) && \
	eval "$$(scripts/postgres-for-tests.sh start $$dir $(PG_PORT))" && \
	  EXPECT_DATABASE=postgresql $(BIN)/pytest -m "not browser"; \
	  status=$$?; scripts/postgres-for-tests.sh stop $$dir; rm -rf $$dir; exit $$status

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lighthouse: deps system-deps
	$(BIN)/python scripts/lighthouse.py

# The benchmark of bench/README.md (about 5 minutes): a table on stdout, JSON in bench/results/.
bench: deps
	@command -v ab >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq apache2-utils; }
	$(BIN)/python bench/run.py

deps: $(VENV)/.installed static/vendor/htmx.min.js static/vendor/quill/quill.js

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/htmx.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

# Quill 2, the rich-text editor of 正文 (admin only): script, its snow theme, licence.
static/vendor/quill/quill.js: node_modules/.installed
	mkdir -p static/vendor/quill
	cp node_modules/quill/dist/quill.js node_modules/quill/dist/quill.snow.css \
	   node_modules/quill/dist/quill.js.LICENSE.txt node_modules/quill/LICENSE static/vendor/quill/

# Debian's Chromium for the browser tests and Lighthouse, ApacheBench for the benchmark's
# smoke test, Java for the Nu HTML checker.
system-deps:
	@command -v chromium >/dev/null && command -v ab >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium apache2-utils; }
	@command -v java >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq default-jre-headless; }

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
