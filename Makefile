# Newsroom: `make run` (demo on SQLite with sample data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_ENV := DEBUG=1 HTTPS=0

.PHONY: run test venv browser axe bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: venv
	$(DEMO_ENV) $(PY) manage.py migrate --verbosity 0
	$(DEMO_ENV) $(PY) manage.py import_articles sample_data --no-progress
	$(DEMO_ENV) $(PY) manage.py create_demo_users
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Browser tests need Debian's chromium; install it when we can (root), else they skip.
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The accessibility tests inject axe-core from npm (tests/browser/package-lock.json); without npm they skip.
axe:
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	else echo "npm not found: axe-core not installed, the accessibility tests will skip"; fi

test: venv browser axe
	$(PY) -m pytest

bench: venv
	$(PY) bench/import_speed.py --count 20000

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles test-artifacts
