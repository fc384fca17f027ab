# The two commands: `make run` (set up everything and serve the demo) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

# Debian packages: a CJK font and harfbuzz-subset for WeasyPrint PDFs (without it font
# subsetting falls back to fontTools, ~25x slower); chromium for the browser tests and the
# accessibility crawl, a Java runtime for the Nu HTML checker (vnu.jar) of the crawl; pdftoppm
# (poppler-utils) turns the first page of an uploaded PDF floor plan into an image.
RUN_PACKAGES := fonts-wqy-microhei libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 npm:npm pdftoppm:poppler-utils
TEST_PACKAGES := chromium java:default-jre-headless

VENDOR_STAMP := static/vendor/.installed
NPM_STAMP := node_modules/.package-lock.json
# The checkers of the crawl (axe-core, vnu-jar) are devDependencies: `make run` never downloads them.
# The stamp lives inside node_modules, so a new `npm ci` (which empties it) removes it too.
CHECKERS_STAMP := node_modules/.checkers-installed
AUDIT_STAMP := benchmarks/audit/node_modules/.package-lock.json
MO_FILES := $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test setup system-packages test-packages test-checkers migrate seed serve translations clean bench audit screenshots

run: setup migrate seed serve

setup: system-packages $(VENV)/.installed $(VENDOR_STAMP) $(MO_FILES)

system-packages:
	@scripts/system-packages.sh $(RUN_PACKAGES)
	@test -x $(BIN)/python || $(PYTHON) -c 'import ensurepip' 2>/dev/null || scripts/system-packages.sh python3-venv

test-packages:
	@scripts/system-packages.sh $(TEST_PACKAGES)

test-checkers: $(CHECKERS_STAMP)

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: apt-get install python3-venv" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# --ignore-scripts: no package needs an install script, and vnu-jar's would download a Java
# runtime (the Debian one from TEST_PACKAGES runs the checker).
$(NPM_STAMP): package-lock.json
	npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(CHECKERS_STAMP): $(NPM_STAMP)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP) && touch $@

$(VENDOR_STAMP): $(NPM_STAMP)
	@mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/signature_pad/dist/signature_pad.umd.min.js static/vendor/signature_pad.umd.min.js
	cp node_modules/browser-image-compression/dist/browser-image-compression.js static/vendor/browser-image-compression.js
	cp node_modules/konva/konva.min.js static/vendor/konva.min.js
	cp node_modules/idb/build/umd.js static/vendor/idb.js
	@mkdir -p static/vendor/workbox
	for module in workbox-core workbox-routing workbox-strategies workbox-precaching; do \
		cp node_modules/$$module/build/$$module.prod.js static/vendor/workbox/$$module.prod.js || exit 1; done
	@touch $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o portal/translations/messages.pot . >/dev/null
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching

migrate: setup
	PORTAL_ENV=development $(FLASK) db upgrade

seed: migrate
	PORTAL_ENV=development $(FLASK) seed-demo

serve:
	@echo ""
	@echo "  Pre-acceptance portal (demo): http://$(HOST):$(PORT)/"
	@echo "  Demo logins (demo only, password demo1234): inspector, foreman, pm, engineering, office, finance, admin"
	@echo ""
	PORTAL_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

test: setup test-packages test-checkers
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks that report figures into benchmarks/RESULTS.md (not part of `make test`): photo ingest,
# photo markup and the notice PDF with a floor plan,
# PDFs, and the load test on a generated PostgreSQL dataset (BENCH_DATABASE_URL, default database
# portal_bench on the local server, dropped and recreated). A missed target is reported, not fatal.
bench: setup test-packages $(VENV)/.bench-installed
	$(BIN)/python benchmarks/bench_ingest.py || true
	$(BIN)/python benchmarks/bench_pdf.py || true
	$(BIN)/python benchmarks/bench_markup.py || true
	$(BIN)/python benchmarks/bench_sync.py || true
	$(BIN)/python benchmarks/bench_load.py $(BENCH_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@

# The README tour's pictures: every demo login's landing page from a freshly seeded demo (Chromium;
# phone size for the inspector and the foreman), written to docs/screenshots/*.png.
screenshots: setup test-packages
	$(BIN)/python scripts/screenshots.py

# Lighthouse (mobile) of every role's home page and the checklist; scores into benchmarks/RESULTS.md.
# Lighthouse has its own package.json so that `make run` never downloads it.
audit: setup test-packages $(AUDIT_STAMP)
	$(BIN)/python benchmarks/audit.py

$(AUDIT_STAMP): benchmarks/audit/package-lock.json
	cd benchmarks/audit && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf $(VENV) node_modules static/vendor instance
