# Loyalty Points Live Sync. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run CLUSTER=1`: the same product on the Galera cluster, through HAProxy's writer port.
CLUSTER_URL := mysql://root@127.0.0.1:3410/loyalty
ifeq ($(CLUSTER),1)
DATABASE_URL := $(CLUSTER_URL)
endif
export DATABASE_URL ?= mysql://root@127.0.0.1:3306/loyalty
export API_BASE_URL ?= http://127.0.0.1:8000
FRONTEND_SOURCES := $(shell find frontend -path frontend/dist -prune -o -type f -print)

.PHONY: help venv db db-stop demo-reset seed run test test-fast lint format openapi frontend
.PHONY: bench bench-scale bench-export bench-instructions bench-toast clean cluster cluster-stop cluster-status test-cluster
.PHONY: bench-members backup-drill

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

# The venv is a file target: rebuilt whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || { scripts/apt-install.sh python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed ## Create .venv with the service and the dev tools

db: venv $(if $(filter 1,$(CLUSTER)),cluster) ## Make sure MariaDB answers (start a project-local one if not) and migrate
	scripts/ensure-db.sh
	$(BIN)/flask --app service db upgrade

db-stop: ## Stop the project-local MariaDB, if one was started
	@if [ -f .local/mariadb/mariadb.pid ]; then kill "$$(cat .local/mariadb/mariadb.pid)"; fi

# Drops without asking only the database `make run` created here (.local/created-databases);
# any other asks first, naming the server it is on.
demo-reset: venv ## Drop the local demo database, so the next `make run` starts from the seed
	$(BIN)/flask --app service demo reset

seed: db ## Load the demo data (safe to repeat) and print a fresh POS key
	$(BIN)/flask --app service demo seed

frontend/dist/.built: $(FRONTEND_SOURCES)
	rm -rf frontend/dist && mkdir -p frontend/dist
	cp -r frontend/src/. frontend/dist/
	touch $@

# config.js is written every time, so a new API_BASE_URL always takes effect.
frontend: frontend/dist/.built ## Build the admin app into frontend/dist (API_BASE_URL sets the API)
	printf 'export const API_BASE_URL = "%s";\n' "$(API_BASE_URL)" > frontend/dist/config.js

run: db frontend ## Set everything up; serve the API (:8000), the admin app (:8080), webhooks
	scripts/run.sh

test: venv ## Lint, then run the whole suite (API and browser) on a throwaway database
	$(BIN)/ruff check .
	scripts/ensure-db.sh
	scripts/ensure-redis.sh
	scripts/ensure-chromium.sh
	scripts/ensure-nginx.sh
	command -v wrk >/dev/null || scripts/apt-install.sh wrk
	scripts/ensure-axe.sh
	$(BIN)/pytest

test-fast: venv ## Run the suite without the browser tests
	scripts/ensure-db.sh
	scripts/ensure-redis.sh
	scripts/ensure-nginx.sh
	$(BIN)/pytest -m 'not browser'

lint: venv ## Check lint and formatting (ruff)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv ## Format and auto-fix (ruff)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: venv ## Regenerate openapi.yaml from the app
	$(BIN)/flask --app service openapi write --format=yaml openapi.yaml

bench: db ## The service under wrk beside its own baselines (ratios, p50/p99, memory)
	command -v wrk >/dev/null || scripts/apt-install.sh wrk
	$(BIN)/python -m bench

bench-scale: db ## Load a 1,000,000-customer tenant (bulk SQL); admin list, search, poll figures
	$(BIN)/python -m bench.scale

bench-instructions: db ## CPU instructions per request (lookup, poll, redeem, earns, Toast; bare Flask) by callgrind
	command -v valgrind >/dev/null || scripts/apt-install.sh valgrind
	$(BIN)/python -m bench.instructions

bench-toast: db ## Toast terminals (ACCRUE and REDEEM) at 16 concurrent: p50/p99 per transaction
	command -v wrk >/dev/null || scripts/apt-install.sh wrk
	$(BIN)/python -m bench.toast

bench-export: db ## Stream the customer CSV export of a million customers; prints time and memory
	$(BIN)/python -m bench.export

bench-members: db ## Time the 100,000-row member import (and its memory) and a restore of 1M customers
	$(BIN)/python -m bench.members

backup-drill: venv ## Back up under writes, restore to a moment on a private MariaDB with a binlog
	$(BIN)/python -m scripts.backup_drill

clean: ## Remove the venv, build output and caches (keeps .local data)
	rm -rf $(VENV) frontend/dist test-output .pytest_cache .ruff_cache *.egg-info

cluster: venv ## Start a 3-node Galera cluster + HAProxy on loopback (writer :3410, round-robin :3409)
	$(BIN)/python scripts/cluster.py start

cluster-stop: venv ## Stop the Galera cluster and HAProxy (data stays in .local/cluster)
	$(BIN)/python scripts/cluster.py stop

cluster-status: venv ## Show each Galera node's state and what HAProxy sees
	$(BIN)/python scripts/cluster.py status

# The cluster is stopped afterwards whatever the outcome; pytest's status is make's status.
test-cluster: venv ## Run the concurrency/idempotency/atomicity tests and a node kill on the cluster
	$(BIN)/python scripts/cluster.py start
	DATABASE_URL=$(CLUSTER_URL) LOYALTY_CLUSTER_TESTS=1 $(BIN)/pytest -m 'not browser' \
	  tests/test_concurrency.py tests/test_redeem.py tests/test_references.py \
	  tests/test_ledger_operations.py \
	  tests/test_atomicity.py tests/cluster; \
	  status=$$?; $(BIN)/python scripts/cluster.py stop; exit $$status
