# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test demo chromium bench lint

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

test: venv chromium
	$(PY) -m pytest -q

demo: venv
	$(VENV)/bin/portal demo $(ARGS)

bench: venv
	$(PY) bench/cold_start.py
	$(PY) bench/calls.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy chalicelib
