# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Demo-only signing secrets so that `make run` works out of the box.
# Override them (and never use these) anywhere real.
export HUB_CONNECTOR_STANDARD_SECRET ?= whsec_ZGVtby1zdGFuZGFyZC1jb25uZWN0b3Itc2VjcmV0
export HUB_DEMO_SUBSCRIPTION_SECRET  ?= whsec_ZGVtby1zdWJzY3JpcHRpb24tc2lnbmluZy1zZWNyZXQ=
export SHOPIFY_CLIENT_SECRET         ?= demo-shopify-client-secret
export D365_ENDPOINT_KEY             ?= demo-d365-endpoint-key
# The demo receiver (`hub listen --port 9000`) is on loopback, which the hub refuses unless
# allowed: only its own address and port are, so a real subscription added to a demo hub still
# cannot reach any other local service.
export HUB_ALLOW_TARGETS             ?= 127.0.0.1:9000

.PHONY: run test node chromium postgresql screenshots lint typecheck unit check clean bench bench-quick soak

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@mkdir -p data
	$(BIN)/hub serve

check: $(STAMP)
	$(BIN)/hub check

lint: $(STAMP)
	$(BIN)/ruff check hub connectors tests bench
	$(BIN)/ruff format --check hub connectors tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The Zapier app's own tests (tests/integration/test_zapier.py) run on Node and npm, Debian's
# where the machine has none; its npm packages come from the registry, by its lock file.
node:
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm) \
	  || { echo "test: install Node and npm (Debian: apt-get install nodejs npm)"; exit 1; }

# The console's tests (tests/console) drive Debian's Chromium through Playwright with
# `executable_path`: Playwright's own browser download cannot reach its CDN from these machines.
CHROMIUM ?= $(shell command -v chromium || echo /usr/bin/chromium)
export CHROMIUM_PATH := $(CHROMIUM)
chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium) \
	  || { echo "test: install Chromium (Debian: apt-get install chromium)"; exit 1; }

# The store's tests on PostgreSQL (tests/postgres.py) start Debian's server from its binaries,
# which the machine image carries; where they are missing, Debian's package brings them.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || (apt-get update -qq && apt-get install -y -qq postgresql) \
	  || { echo "test: install PostgreSQL (Debian: apt-get install postgresql)"; exit 1; }

test: $(STAMP) lint typecheck node chromium postgresql
	$(BIN)/pytest

# The console's pictures in docs/, taken by the same browser from a hub with demo traffic.
screenshots: $(STAMP) chromium
	$(BIN)/python -m tests.console.screenshots docs

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) \
	  || { echo "bench: install wrk (Debian: apt-get install wrk)"; exit 1; }
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick

# The long variants of the reliability tests: 10,000 fuzz cases, 200 schemathesis examples
# per operation (`make test` runs bounded versions of the same tests).
soak: $(STAMP)
	HUB_FUZZ_CASES=10000 HUB_SCHEMA_CASES=200 $(BIN)/pytest -q tests/reliability

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
