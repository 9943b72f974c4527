# The two commands a newcomer needs (see README.md):
#   make book   build the executed book into _build/html
#   make test   run the whole test suite
# Both create the virtual environment .venv from the pinned versions in
# requirements/lock.txt the first time (and again when it or pyproject.toml changes).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test gpu venv lock clean

book: $(STAMP)
	$(BIN)/backprop book --scale full

test: $(STAMP)
	$(BIN)/python -m pytest

# Everything that needs a GPU, sized for a few minutes on one modern card.
gpu: $(STAMP)
	$(BIN)/python -m pytest -m cuda -p no:cacheprovider
	$(BIN)/backprop run notebooks/xor.md --scale full -p device cuda --force

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/lock.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (PYTHON=$(PYTHON))")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e '.[torch,book,test]'
	touch $(STAMP)

# Re-pin every package to what a fresh resolution gives today (then commit the lock).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[torch,book,test]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//' > requirements/lock.txt
	rm -rf .lock-venv

clean:
	rm -rf _build
