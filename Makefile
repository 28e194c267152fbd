# minhu — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/minhu/web/static/vendor
PYTEST_ARGS ?=
# The address the demo's messages and rating links point to: the server `make run` starts.
SITE = MINHU_BASE_URL=$${MINHU_BASE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run test lint unit browser-deps assets bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "minhu needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

# Front-end assets come from the npm registry (package-lock.json) and are served by us.
$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/htmx $(VENDOR)/swagger-ui $(VENDOR)/leaflet $(VENDOR)/echarts
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	@touch $@

assets: $(VENDOR)/.installed

# browser-deps: the CJK fonts (and Pango) the bulletin's PDF is set in.
run: $(VENV)/.installed assets browser-deps
	$(BIN)/minhu db upgrade
	$(BIN)/minhu demo train  # first: the demo's orders are routed by the trained classifier
	$(SITE) $(BIN)/minhu demo load --if-empty
	$(SITE) $(BIN)/minhu bulletin make --if-missing
	@# Similar cases: the board's messages with their official replies, when the data sits beside the project.
	@if [ -f ../shared/data/replies.csv ]; then $(BIN)/minhu knowledge import-cases --input ../shared/data/replies.csv; fi
	$(SITE) $(BIN)/minhu serve --host 127.0.0.1 --port $(PORT) --no-migrate

# Browser tests need Chromium and CJK fonts from Debian, the bulletin's PDF (WeasyPrint) Pango; installed when missing.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" \
	    || ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium, CJK fonts and Pango for the PDFs (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-microhei \
	      libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else \
	    echo "browser tests need /usr/bin/chromium and fonts-noto-cjk: run 'sudo apt-get install chromium fonts-noto-cjk' (they will be skipped; with CI=true they fail)"; \
	  fi; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# With CI=true nothing is skipped quietly: no PostgreSQL, no Chromium or no CJK font fails the run (tests/preflight.py).
unit: $(VENV)/.installed-dev assets browser-deps
	$(BIN)/python -m tests.preflight
	$(BIN)/pytest -q -n 2 $(PYTEST_ARGS)
	@if [ -n "$$MINHU_TEST_POSTGRES_URL" ]; then \
	  echo "== the same suite on PostgreSQL ($$MINHU_TEST_POSTGRES_URL)"; \
	  MINHU_TEST_DATABASE_URL="$$MINHU_TEST_POSTGRES_URL" $(BIN)/pytest -q -n 2 $(PYTEST_ARGS); \
	else echo "MINHU_TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

test: lint unit

bench: $(VENV)/.installed-dev assets browser-deps
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/locate.py
	$(BIN)/python bench/map.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/route.py
	$(BIN)/python bench/sweep.py
	$(BIN)/python bench/storm.py
	$(BIN)/python bench/rates.py
	$(BIN)/python bench/reply_quality.py
	$(BIN)/python bench/knowledge.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/insight_hot.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
