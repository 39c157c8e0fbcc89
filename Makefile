# Every target uses the project's virtual environment; `make install` creates it.
VENV ?= .venv
PY := $(VENV)/bin/python
SPECS := specs/schemas.yaml specs/openapi.yaml specs/asyncapi.yaml

# .venv/.installed and node_modules/.installed stamp finished installs, so a broken
# install is retried rather than trusted.
.PHONY: install install-node lock run mock test test-future contract contract-diff docs bench lint typecheck generate clients build-clients check-generated validate-specs ci clean

# Installs take exact versions, checked by hash, from the lock files (`make lock` writes
# them from pyproject.toml); the project itself goes in editable, without dependencies.
$(VENV)/.installed: pyproject.toml clients/python/pyproject.toml requirements/dev.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps -e . -e clients/python
	touch $@

node_modules/.installed: package.json package-lock.json clients/typescript/package.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed requirements/bench.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements/bench.lock
	touch $@

lock:  ## Re-resolve requirements/*.lock from pyproject.toml (needs the package index)
	python3 -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet 'uv>=0.9'
	for extras in "dev postgres:dev" "dev postgres bench:bench"; do \
		flags=$$(for e in $${extras%%:*}; do printf -- '--extra %s ' $$e; done); \
		$(VENV)-lock/bin/uv pip compile pyproject.toml $$flags --python-version 3.11 \
			--universal --generate-hashes --no-header --quiet \
			-o requirements/$${extras##*:}.lock || exit 1; \
	done
	rm -rf $(VENV)-lock

install: $(VENV)/.installed

install-node: node_modules/.installed

run: install  ## Run the service on SQLite at http://127.0.0.1:8000 (`make docs` first for /docs)
	$(PY) -m service

# datamodel-codegen's options for the models of both generated/ and the Python client.
CODEGEN := $(PY) -m datamodel_code_generator \
	--input specs/schemas.yaml --input-file-type jsonschema \
	--output-model-type pydantic_v2.BaseModel \
	--disable-timestamp --target-python-version 3.11 \
	--use-annotated --use-standard-collections --use-union-operator \
	--use-double-quotes --formatters builtin \
	--use-schema-description --use-field-description \
	--collapse-root-models --skip-root-model --use-type-alias

TS_CLIENT := clients/typescript
PY_CLIENT := clients/python/conversations_client
# Everything `make generate clients` writes that is committed (the TypeScript build in
# clients/typescript/dist is not; the /demo bundle is, so `make run` needs no Node).
SERVER_INTERFACES := generated/http_server.py generated/socket_server.py
GENERATED := generated/models.py $(SERVER_INTERFACES) \
	$(TS_CLIENT)/src/http.ts $(TS_CLIENT)/src/schemas.ts $(TS_CLIENT)/src/events.ts \
	$(PY_CLIENT)/models.py $(PY_CLIENT)/http.py $(PY_CLIENT)/socket.py service/web/demo.js

mock: install  ## Serve a mock of both specs, from their examples, on http://127.0.0.1:4010
	$(PY) -m tools.mock

generate: install  ## Regenerate generated/: the models, and the server interfaces and binders
	$(CODEGEN) --extra-fields forbid --output generated/models.py
	$(PY) -m tools.server
	$(VENV)/bin/ruff format --quiet $(SERVER_INTERFACES)

# The service's models refuse unknown fields; the client's ignore them, so a client of
# this version keeps working when the server adds a field.
clients: install install-node  ## Regenerate both typed clients and the /demo bundle from the specs
	npx --no-install openapi-typescript specs/openapi.yaml --output $(TS_CLIENT)/src/http.ts >/dev/null
	node tools/clients/schemas_ts.mjs specs/schemas.yaml $(TS_CLIENT)/src/schemas.ts
	$(CODEGEN) --extra-fields ignore --output $(PY_CLIENT)/models.py
	$(PY) -m tools.clients clients
	$(VENV)/bin/ruff format --quiet $(PY_CLIENT)
	$(MAKE) --no-print-directory build-clients
	npx --no-install esbuild service/web/demo.ts --bundle --format=esm --minify \
		--target=es2022 --legal-comments=none --log-level=warning --outfile=service/web/demo.js

build-clients: install-node  ## Compile clients/typescript (tsc --strict) and type-check the /demo page
	npm run --silent build --workspace $(TS_CLIENT)
	npx --no-install tsc -p service/web

check-generated: install install-node  ## Fail when generated/, clients/ or the /demo bundle are stale
	tools/check_fresh.sh "$(MAKE) --no-print-directory generate clients" $(GENERATED)

validate-specs: install install-node  ## Both specs pass their official validators
	$(VENV)/bin/openapi-spec-validator specs/openapi.yaml
	ASYNCAPI_METRICS_CONFIG_PATH=$(CURDIR)/tools/asyncapi-analytics.json SUPPRESS_NO_CONFIG_WARNING=1 \
		npx --no-install asyncapi validate specs/asyncapi.yaml --fail-severity error

# tools/docs.py renders both specs with Redocly, script inlined: the pages fetch nothing
# at view time. Not committed: `make test` builds them, as deployments must.
docs: install install-node  ## Build the HTML docs of both specs, served at /docs and /docs/events
	$(PY) -m tools.docs

contract-diff: install install-node  ## Fail on a contract change without a version bump and CHANGELOG entry (Breaking ones marked)
	$(PY) -m tools.contract_diff

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

contract: install install-node  ## The contract suite: both validators, then tests/contract
	$(MAKE) --no-print-directory validate-specs docs
	$(PY) -m pytest tests/contract

bench: $(VENV)/.bench-installed install-node  ## Chat-shaped load: ours vs bare python-socketio, Flask-SocketIO+eventlet, Node socket.io
	$(PY) -m bench.run

test: install install-node  ## The whole suite: lint, types, generated code, specs, tests
	$(MAKE) --no-print-directory lint typecheck check-generated validate-specs contract-diff docs
	@# The year-ahead run goes beside the main one, on the other core, when it has a
	@# PostgreSQL database of its own (CHAT_TEST_POSTGRES_URL_FUTURE, as .ci/run gives
	@# it; its output follows the main run's); otherwise after it. The convergence state
	@# machine (its own service process and SQLite file) runs after the main run.
	@status=0; \
	if [ -n "$${CHAT_TEST_POSTGRES_URL_FUTURE:-}" ]; then \
		CHAT_TEST_POSTGRES_URL="$$CHAT_TEST_POSTGRES_URL_FUTURE" \
			$(MAKE) --no-print-directory test-future > .test-future.log 2>&1 & future=$$!; \
	fi; \
	$(PY) -m pytest --ignore=tests/convergence || status=1; \
	$(PY) -m pytest -q -p no:cacheprovider tests/convergence || status=1; \
	if [ -n "$${future:-}" ]; then \
		wait $$future || status=1; echo "--- the year-ahead run:"; cat .test-future.log; \
	else \
		$(MAKE) --no-print-directory test-future || status=1; \
	fi; \
	exit $$status

# The unit and integration suites again with every clock a year ahead (libfaketime), so
# a test that depends on today's date fails the day it is written, not a year later.
test-future: install
	@if command -v faketime >/dev/null; then \
		faketime -f '+365d' $(PY) -m pytest -q -p no:cacheprovider tests/unit tests/integration; \
	elif [ -n "$$CHAT_TEST_REQUIRE_ALL" ]; then \
		echo "test-future: faketime is not installed (apt-get install faketime)"; exit 1; \
	else \
		echo "test-future: skipped, faketime is not installed (apt-get install faketime)"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
