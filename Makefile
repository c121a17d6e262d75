# The two commands the README opens with: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
INTRANET_PORT ?= 8110
# The demo's 110 link secret, shared by `make run` (Internet side) and `make run-intranet`.
LINK_TOKEN_FILE := var/link.token
LINK_TOKEN = $${NETALARM_LINK_TOKEN:-$$(cat $(LINK_TOKEN_FILE))}
INTRANET := NETALARM_ROLE=intranet NETALARM_DATA_DIR=var/intranet NETALARM_DATABASE_URL=
# The demo's superior: a Guangdong server holding the key Shenzhen (centre 440300) signs with.
PROVINCE_PORT ?= 8200
FEDERATION_KEY_FILE := var/federation.key
FEDERATION_KEY = $$(cat $(FEDERATION_KEY_FILE))
PROVINCE := NETALARM_DATA_DIR=var/province NETALARM_DATABASE_URL=
# `make run WITH_PROVINCE=1`: escalation from Shenzhen's root centre goes to `make run-province`.
SUPERIOR = $(if $(WITH_PROVINCE),NETALARM_SUPERIOR_URL=http://$(HOST):$(PROVINCE_PORT) NETALARM_SUPERIOR_KEY=$(FEDERATION_KEY))

.PHONY: run run-intranet run-province test lint bench install clean system

$(STAMP): pyproject.toml package.json
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm install --silent --no-audit --no-fund
	touch $(STAMP)

install: $(STAMP)

$(LINK_TOKEN_FILE) $(FEDERATION_KEY_FILE):
	mkdir -p var
	(umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > $@)

run: $(STAMP) $(LINK_TOKEN_FILE) $(FEDERATION_KEY_FILE)
	$(VENV)/bin/netalarm demo
	NETALARM_LINK_TOKEN=$(LINK_TOKEN) $(SUPERIOR) $(VENV)/bin/netalarm serve --host $(HOST) --port $(PORT)

# The Guangdong province server above the `make run` one (start that with WITH_PROVINCE=1).
run-province: $(STAMP) $(FEDERATION_KEY_FILE)
	$(PROVINCE) $(VENV)/bin/netalarm demo --province
	$(PROVINCE) NETALARM_FEDERATION_KEYS=440300=$(FEDERATION_KEY) \
		$(VENV)/bin/netalarm serve --host $(HOST) --port $(PROVINCE_PORT)

# The 110 server of the police intranet, pulling forwards from the `make run` server.
run-intranet: $(STAMP) $(LINK_TOKEN_FILE)
	$(INTRANET) $(VENV)/bin/netalarm demo
	$(INTRANET) NETALARM_LINK_URL=http://$(HOST):$(PORT) NETALARM_LINK_TOKEN=$(LINK_TOKEN) \
		$(VENV)/bin/netalarm serve --host $(HOST) --port $(INTRANET_PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

system: system-packages.txt
	scripts/ensure-system-packages

test: $(STAMP) system
	$(MAKE) lint
	scripts/run-tests

# Each benchmark prints one JSON object and writes bench/results/<name>.json.
bench: $(STAMP) system
	$(PY) bench/intake.py
	$(PY) bench/notify.py
	$(PY) bench/connections.py
	$(PY) bench/upload.py
	$(PY) bench/first_visit.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
