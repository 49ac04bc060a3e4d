PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=

STAMP := $(VENV)/.installed

.PHONY: install run console test bench clean browser

# Create the virtualenv on a fresh clone and (re)install whenever
# pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/pip install -e '.[test]'
	touch $@

install: $(STAMP)

run: install
	$(VENV)/bin/recapbot db upgrade
	$(VENV)/bin/recapbot run

console: install
	$(VENV)/bin/recapbot console

# The browser tests drive Debian's Chromium (Playwright's own download does not work here):
# installed when missing and we may (root with apt); otherwise they skip, except with CI=true.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium not installed: the browser tests will skip"; }

test: install browser
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bench: install
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf build dist *.egg-info .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -f $(STAMP)
