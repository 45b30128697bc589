# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test demo chromium axe bench lighthouse screenshots lint

# Re-installs whenever the pinned dependencies change.
$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# The page's end-to-end tests drive Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# axe-core for the page's accessibility tests, pinned by tests/e2e/package-lock.json (node_modules is ignored).
AXE := tests/e2e/node_modules/axe-core/axe.min.js
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
	touch $(AXE)

axe: $(AXE)

# Lint and types first, so CI enforces them with the suite.
test: lint chromium axe
	$(PY) -m pytest -q

demo: venv
	$(VENV)/bin/portal demo $(ARGS)

bench: venv
	$(PY) bench/cold_start.py
	$(PY) bench/calls.py
	$(PY) bench/page_budget.py
	$(PY) bench/console_budget.py
	$(PY) bench/sweep.py
	$(PY) bench/burst.py
	$(PY) bench/outbox.py
	$(PY) bench/demo_writes.py
	$(PY) bench/verify.py
	$(PY) bench/package_size.py
	$(PY) bench/webhooks.py
	$(PY) bench/imports.py
	$(PY) bench/evidence_pack.py
	$(PY) bench/digest.py
	$(PY) bench/reports.py
	$(PY) bench/case_search.py

# Lighthouse from the npm registry against a fresh demo (needs node and chromium; about a minute).
lighthouse: venv chromium
	bench/lighthouse.sh

# The page's main states as PNGs for the README, from a fresh demo.
screenshots: venv chromium
	$(PY) -m tests.e2e.screenshots

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy chalicelib portal app.py
