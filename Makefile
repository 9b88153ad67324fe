# Tribune — two commands: `make run` serves the demo site, `make test` runs every test.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

# The first interpreter that is Python 3.12 or newer. With pyenv, .python-version
# (3.12) makes plain `python3` the right one inside the repository.
PYTHON ?= $(shell for candidate in python3 python3.14 python3.13 python3.12; do \
	if command -v $$candidate >/dev/null 2>&1 && \
	   $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	   echo $$candidate; break; fi; done)

.PHONY: run dev prod restore-check test venv lint messages bench clean help

help:
	@echo "make run    — installe, migre, charge la démo et sert http://$(HOST):$(PORT) (comme en production)"
	@echo "make dev    — pareil, avec les pages de débogage de Django (DJANGO_DEBUG=true)"
	@echo "make prod   — comme en production : nginx, gunicorn, 2 uvicorn, worker, planificateur"
	@echo "              (DATABASE_URL et REDIS_URL requis ; ENV_FILE=…, PROD_PORT=8080, DEMO=1)"
	@echo "make restore-check — sauvegarde (pg_dump), restaure dans une base jetable, compare"
	@echo "make test   — installe et lance toute la suite de tests"
	@echo "make lint   — stylelint (CSS), ruff, contrat de dépendances, migrations manquantes"
	@echo "make messages — régénère et compile les traductions (gettext requis)"
	@echo "make bench  — lance les mesures de benchmarks/"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Tribune a besoin de Python 3.12 ou plus récent, introuvable ici."; \
		echo "Installez-le (par exemple : pyenv install 3.12 && pyenv local 3.12,"; \
		echo "ou apt-get install python3.12 python3.12-venv), puis relancez make."; \
		exit 1; fi
	@echo "Création de l'environnement virtuel avec $$($(PYTHON) --version)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalled only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
		echo "$(VENV) utilise $$($(BIN)/python --version) : il faut Python 3.12 ou plus."; \
		echo "Supprimez $(VENV) (rm -rf $(VENV)) et relancez make."; exit 1; }
	@echo "Installation des dépendances…"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

venv: $(VENV)/.installed

# One process checks, migrates only when needed, loads the demo into an empty site and
# serves (participation/management/commands/serve.py): a warm start imports Django once.
# HOST and PORT reach the settings, so printed and e-mailed links use them.
run: venv
	@TRIBUNE_HOST=$(HOST) TRIBUNE_PORT=$(PORT) $(MANAGE) serve

dev: venv
	@DJANGO_DEBUG=true TRIBUNE_HOST=$(HOST) TRIBUNE_PORT=$(PORT) $(MANAGE) serve

# The production topology on this machine (config/prod.py, deploy/): nginx from
# Debian's package in the foreground, gunicorn, two uvicorn, the tasks worker and the
# scheduler, against DATABASE_URL and REDIS_URL; migrate and collectstatic first.
PROD_PORT ?= 8080
prod: venv
	@$(BIN)/python -m config.prod run --port $(PROD_PORT) \
		$(if $(ENV_FILE),--env-file "$(ENV_FILE)") $(if $(DEMO),--demo)

# Backup and restore, tested: pg_dump of DATABASE_URL, restored into a scratch database,
# every table's row count compared, the scratch database dropped (config/prod.py).
restore-check: venv
	@$(BIN)/python -m config.prod restore-check $(if $(ENV_FILE),--env-file "$(ENV_FILE)")

test: venv node_modules/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

# The stylesheet lint (stylelint, pinned in package.json and package-lock.json) is the
# only Node tool: the site itself runs without Node. Reinstalled when the lock changes.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "make lint a besoin de Node.js 20.19 ou plus récent et de npm (apt-get install nodejs npm)."; \
		exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: venv node_modules/.installed
	npx --no-install stylelint "static/**/*.css"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(MANAGE) makemigrations --check --dry-run

messages: venv
	$(MANAGE) makemessages --locale fr --ignore "$(VENV)/*" --ignore "var/*" --no-obsolete
	$(MANAGE) compilemessages --locale fr --ignore "$(VENV)/*"

bench: venv
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/thread.py

clean:
	rm -rf $(VENV) node_modules var/static var/test-tribune.sqlite3* .pytest_cache .ruff_cache
