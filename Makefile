# Newsroom: `make run` (demo on SQLite with sample data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo serves the sample images itself: their site-relative URLs (/static/sample/…) resolve against SOURCE_SITE_URL.
DEMO_ENV := DEBUG=1 HTTPS=0 SOURCE_SITE_URL=http://$(HOST):$(PORT) ALLOWED_HOSTS=$(HOST),127.0.0.1,localhost
# Wait this long for another apt/dpkg (unattended upgrades, a parallel install) before giving up on chromium.
APT_LOCK_TIMEOUT ?= 120

.PHONY: run test venv browser axe bench clean reset-demo-users

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
	@echo "Open http://$(HOST):$(PORT)/ and log in (admin: http://$(HOST):$(PORT)/admin/)."
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# New passwords for the demo accounts (logs them out of every open session).
reset-demo-users: venv
	$(DEMO_ENV) $(PY) manage.py create_demo_users --reset

# Browser tests need Debian's chromium; install it when we can (root), else they skip. Another apt holding the
# lock is waited for (APT_LOCK_TIMEOUT seconds); if chromium still cannot be installed, the rest of the suite runs.
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		(apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_TIMEOUT) update -qq && \
		 DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_TIMEOUT) install -y -qq chromium >/dev/null) || \
		echo "Could not install chromium (apt busy or offline): the browser tests will be skipped." >&2

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
