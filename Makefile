# The two commands the README opens with: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench install clean system

$(STAMP): pyproject.toml package.json
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm install --silent --no-audit --no-fund
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/netalarm demo
	$(VENV)/bin/netalarm serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

system: system-packages.txt
	scripts/ensure-system-packages

test: $(STAMP) system
	$(MAKE) lint
	$(PY) -m pytest

# Each benchmark prints one JSON object and writes bench/results/<name>.json.
bench: $(STAMP) system
	$(PY) bench/intake.py
	$(PY) bench/notify.py
	$(PY) bench/connections.py
	$(PY) bench/upload.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
