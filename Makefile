# The two set-up commands: `make run` (Neo4j up, articles loaded, API serving, URLs printed)
# and `make test` (Neo4j for the tests up, the tests, Neo4j stopped again).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve stop test test-slow fuzz load bench bench-quick lint typecheck check export-schema clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "kg needs Python 3.11 or newer as $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kg neo4j start
	$(BIN)/kg load data/articles
	$(BIN)/kg api start

serve: install  ## the API in the foreground instead
	$(BIN)/kg neo4j start
	$(BIN)/kg serve

stop:
	-$(BIN)/kg api stop
	-$(BIN)/kg neo4j stop

# Lint and strict typing first (seconds), then pytest, which starts the tests' own Neo4j
# (ports 17687/17474) when it is not running and stops it at the end. pytest's exit code 5
# (no tests collected) fails the target like any other failure.
test: install
	$(BIN)/ruff check kg loaders tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Faults injected into a real Neo4j, generated requests, a bounded load run (minutes).
test-slow: install
	$(BIN)/python -m pytest -m slow

# Against the API that `make run` serves; each rewrites its own section of docs/load-test.md.
fuzz: install
	$(BIN)/python -m bench.fuzz_api http://127.0.0.1:8000/graphql --requests 1000 --docs docs/load-test.md

load: install
	$(BIN)/python -m bench.load_api http://127.0.0.1:8000/graphql --clients 50 --seconds 60 --docs docs/load-test.md

# Benchmarks on their own Neo4j (27687/27474, .kg/neo4j-bench) and API (28000): load, query
# latency against raw Cypher, throughput; writes docs/benchmarks.md and docs/benchmarks.json.
bench: install
	$(BIN)/python -m bench.run --sizes 1000,100000

bench-quick: install
	$(BIN)/python -m bench.run --sizes 10000

lint: install
	$(BIN)/ruff check kg loaders tests bench

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

export-schema: install
	$(BIN)/kg export-schema

clean: stop
	rm -rf .kg $(VENV) .pytest_cache .mypy_cache .ruff_cache
