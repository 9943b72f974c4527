# The two commands a newcomer needs (see README.md):
#   make book   build the executed book into _build/html
#   make test   run the whole test suite
# Both create the virtual environment .venv from the pinned versions in
# requirements/lock.txt the first time (and again when it or pyproject.toml changes),
# and install the browser-side packages pinned in package-lock.json (MathJax, which
# the book serves itself so that equations render offline, and axe-core) with npm.
# `make test` also installs Debian's Chromium for the browser tests where it is missing.

PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
NODE     := node_modules/.package-lock.json
CHROMIUM ?= /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test gpu venv lock clean linkcheck-external reproduce bench lab

book: $(STAMP) $(NODE)
	$(BIN)/backprop book --scale full

test: $(STAMP) $(NODE) $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

# Everything that needs a GPU, sized for a few minutes on one modern card.
gpu: $(STAMP)
	$(BIN)/python -m pytest -m cuda -p no:cacheprovider
	$(BIN)/backprop run notebooks/rhw1986_pdp_xor.md --scale full -p device cuda --force
	$(BIN)/backprop run notebooks/gradient_cost.md --scale full -p device cuda --force
	$(BIN)/backprop run notebooks/tesauro1992.md --scale smoke -p device cuda --force
	$(BIN)/python benchmarks/tdgammon_speed.py --device cuda --batch 64,256,1024
	$(BIN)/backprop run notebooks/lecun1989.md --scale smoke -p device cuda --force
	$(BIN)/python benchmarks/lenet1989_speed.py --device cuda --examples 500
	$(BIN)/python benchmarks/run_all.py --device cuda --out benchmarks/reports/cuda.json

# Every benchmark, ours against a reference in the same run; the report feeds the Performance appendix.
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# Run every registered reproduction at full scale, write its record, print the scoreboard.
reproduce: $(STAMP)
	$(BIN)/backprop reproduce --scale full

# JupyterLab on the notebooks, to rerun one by hand: the MyST .md files open as notebooks
# (jupytext; binder/lab/settings makes that the default), run with the book's kernel and
# library (this environment's), and save back as MyST. tests/test_lab.py starts it the same way.
# (As root, in a container, JupyterLab wants --allow-root.)
LAB_FLAGS := --ServerApp.root_dir=$(CURDIR) --ServerApp.default_url=/lab/tree/notebooks --LabApp.app_settings_dir=$(CURDIR)/binder/lab/settings
lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) $(if $(SUDO),,--allow-root)

# External links of the full book, checked on the network: not part of `make test`.
linkcheck-external: book
	$(BIN)/linkchecker --check-extern --no-status _build/html/index.html

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/lock.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (PYTHON=$(PYTHON))")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e '.[torch,book,test]'
	touch $(STAMP)

# npm writes node_modules/.package-lock.json on every install.
$(NODE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install MathJax and axe-core (package.json)"; exit 1; }
	npm ci --no-audit --no-fund

# Playwright drives this browser; it downloads none of its own.
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "no Chromium at $(CHROMIUM): install one, or run make test CHROMIUM=/path/to/chromium"; exit 1; }
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation fonts-dejavu-core espeak-ng

# Re-pin every package to what a fresh resolution gives today (then commit the lock).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[torch,book,test]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//' > requirements/lock.txt
	rm -rf .lock-venv

clean:
	rm -rf _build
