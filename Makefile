# ADA: every target creates the environment it needs, so a fresh clone runs `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := fluidsynth fluid-soundfont-gm musescore-general-soundfont
SMALL := data/prepared/piano-small

.PHONY: setup system-deps test test-fast data data-full clean

setup: $(VENV)/.installed system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# FluidSynth and the piano soundfonts render the built-in corpus; installed only when missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null \
	    || { echo "error: could not install$$missing; install them with your package manager"; exit 1; }; \
	  else echo "error: no apt-get here; install FluidSynth and the FluidR3 GM and MuseScore General soundfonts:$$missing"; exit 1; fi; \
	fi

test: setup
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not slow"

data: $(SMALL)/index.json

$(SMALL)/index.json: | setup
	$(BIN)/ada corpus --out $(SMALL) --size small
	$(BIN)/ada info $(SMALL)

data-full: setup
	$(BIN)/ada corpus --out data/prepared/piano-full --size full
	$(BIN)/ada info data/prepared/piano-full

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
