# ADA: every target creates the environment it needs, so a fresh clone runs `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := fluidsynth fluid-soundfont-gm musescore-general-soundfont chromium chromium-driver ffmpeg
SMALL := data/prepared/piano-small
MEDIUM := data/prepared/piano-medium
HELDOUT := data/prepared/piano-heldout

# The pipeline. Defaults: the tiny stack on the small corpus, on the CPU. Override any of these, e.g.
#   make train-level1 CONFIG=experiments/t1_2_vqvae_continuous.py WORKDIR=workdirs/t1_2 DATA=data/prepared/maestro
DATA ?= $(SMALL)
RUNS ?= workdirs
CODES1 ?= $(DATA)-codes1
CODES2 ?= $(DATA)-codes2
LEVEL1 ?= $(RUNS)/tiny_level1
LEVEL2 ?= $(RUNS)/tiny_level2
PBT ?= $(RUNS)/tiny_level2_pbt
PBT_ARGS ?=
PRIOR ?= $(RUNS)/tiny_prior
PRIOR_CONFIG ?= experiments/tiny_prior.py
PRIOR_ARGS ?=
STACK ?= $(RUNS)/stack.json
TRAIN_ARGS ?=
# training seeds of the 16-bar models `make reproduce-musicvae` compares (their spread gives the standard errors)
SEEDS ?= 0 1 2
SECONDS ?= 4
NUM ?= 4
EXCERPTS ?= 3
OUT ?= $(RUNS)/demo
# Continuation: PROMPT seconds of INPUT from OFFSET, then SECONDS sampled (default: the small corpus's eval piece)
INPUT ?= $(SMALL)/renders/bach__bwv10.7.flac
OFFSET ?= 0
PROMPT ?= 4
ADA := $(BIN)/ada

.PHONY: setup system-deps lint test test-unit data data-full notes-data notes-chorales shipped-musicvae-pages clean train-level1 \
        encode-level1 train-level2 encode-level2 train-level2-pbt train-prior stack sample reconstruct continue listen \
        demo reproduce-small reproduce-musicvae bench bench-gpu device-kit profile data-medium listen-stack \
        shipped-pages help figures data-heldout app app-screenshots

# `make help`: each target with the comment line above it (a target whose comment starts with '## ')
help:
	@grep -B1 -E '^[a-z][a-z0-9-]+:' $(MAKEFILE_LIST) | grep -A1 '^## ' | grep -v '^--' | paste - - | \
	  sed -E 's/^## (.*)\t([a-z0-9-]+):.*/\2\t\1/' | awk -F'\t' '{printf "  %-20s %s\n", $$1, $$2}'
	@echo "Release and research workflows (Python, resumable): $(ADA) release --help, $(ADA) sweep --help"

## the environment: .venv with ada installed, FluidSynth and the piano soundfonts
setup: $(VENV)/.installed system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m ada.listening.measures
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

## ruff over ada, tests and experiments
lint: setup
	$(BIN)/ruff check ada tests experiments

# Test files run in parallel, one file per worker at a time (its module fixtures stay together).
TEST_WORKERS ?= 2
## the whole suite, unit and end-to-end (what CI runs)
test: setup lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The quick loop: in-process unit tests, mirroring the package (tests/unit); tests/e2e runs whole commands.
## the quick loop: in-process unit tests (tests/unit)
test-unit: setup lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder tests/unit

## the small piano corpus (scores rendered on sampled pianos; data/README.md)
data: $(SMALL)/index.json

$(SMALL)/index.json: | setup
	$(ADA) corpus --out $(SMALL) --size small
	$(ADA) info $(SMALL)

%/index.json:
	@echo "error: no dataset at $*; make one with: $(ADA) prepare YOUR_RECORDINGS --out $*"; exit 1

## the medium piano corpus the shipped stack trained on
data-medium: $(MEDIUM)/index.json

$(MEDIUM)/index.json: | setup
	$(ADA) corpus --out $(MEDIUM) --size medium
	$(ADA) info $(MEDIUM)

## ten held-out works (in neither corpus above) that every fidelity measure is taken on
data-heldout: $(HELDOUT)/index.json

$(HELDOUT)/index.json: | setup
	$(ADA) corpus --out $(HELDOUT) --size heldout
	$(ADA) info $(HELDOUT)

## the full piano corpus
data-full: setup
	$(BIN)/ada corpus --out data/prepared/piano-full --size full
	$(BIN)/ada info data/prepared/piano-full

# Note datasets for MusicVAE from music21's corpus, offline (data/README.md): the folk tunes' 2- and 16-bar
# melody windows, and the Bach chorales' four voices. Tunes are parsed once into $(NOTES)/.notes-cache.
NOTES ?= data/notes
## folk melodies for MusicVAE, 2- and 16-bar windows
notes-data: $(NOTES)/folk-2bar/index.json $(NOTES)/folk-16bar/index.json

## Bach chorales for MusicVAE, four voices
notes-chorales: $(NOTES)/chorales-2bar/index.json $(NOTES)/chorales-16bar/index.json

# $* is the window length in bars (2 or 16)
$(NOTES)/folk-%bar/index.json: | setup
	$(ADA) notes corpus --out $(@D) --bars $* --kind melody
	$(ADA) notes info $(@D)

$(NOTES)/chorales-%bar/index.json: | setup
	$(ADA) notes corpus --out $(@D) --bars $* --kind voices
	$(ADA) notes info $(@D)

# Each training target resumes its workdir (a finished one returns at once); each encode reuses
# codes already made by the same checkpoint.
## train level 1 on DATA (CONFIG, WORKDIR, TRAIN_ARGS override)
train-level1: setup $(DATA)/index.json
	$(ADA) train --config $(or $(CONFIG),experiments/tiny_level1.py) --workdir $(or $(WORKDIR),$(LEVEL1)) \
	  --config.data.path=$(DATA) $(TRAIN_ARGS)

## level 1's codes of DATA
encode-level1: train-level1
	$(ADA) encode --level $(LEVEL1) --data $(DATA) --out $(CODES1)

## train level 2 on level 1's codes
train-level2: $(if $(CONFIG),setup,encode-level1)
	$(ADA) train --config $(or $(CONFIG),experiments/tiny_level2.py) --workdir $(or $(WORKDIR),$(LEVEL2)) \
	  --config.data.path=$(if $(CONFIG),$(DATA),$(CODES1)) $(TRAIN_ARGS)

# Population based training of level 2 (ada pbt): then `make encode-level2 LEVEL2=$(PBT)/best`. A PBT member
# (it has pbt.jsonl) is trained by this target, so encode-level2 does not train it again.
## level 2 by population based training
train-level2-pbt: $(if $(CONFIG),setup,encode-level1)
	$(ADA) pbt --config $(or $(CONFIG),experiments/tiny_level2_pbt.py) --workdir $(or $(WORKDIR),$(PBT)) \
	  --config.data.path=$(if $(CONFIG),$(DATA),$(CODES1)) $(PBT_ARGS)

## level 2's codes
encode-level2: $(if $(wildcard $(LEVEL2)/pbt.jsonl),setup,train-level2)
	$(ADA) encode --level $(LEVEL2) --data $(CODES1) --out $(CODES2)

## train the prior on level 2's codes
train-prior: $(if $(CONFIG),setup,encode-level2)
	$(ADA) train --config $(or $(CONFIG),$(PRIOR_CONFIG)) --workdir $(or $(WORKDIR),$(PRIOR)) \
	  --config.data.path=$(if $(CONFIG),$(DATA),$(CODES2)) $(TRAIN_ARGS) $(PRIOR_ARGS)

## write the stack file naming the three workdirs
stack:
	@mkdir -p $(dir $(STACK))
	@echo '{"levels": ["$(abspath $(LEVEL1))", "$(abspath $(LEVEL2))"], "prior": "$(abspath $(PRIOR))"}' > $(STACK)
	@echo "stack: $(STACK)"

# TEMPERATURE: one for every model or one per model (levels bottom first, then the prior); default: the stack file's
TEMPERATURE_ARG = $(if $(TEMPERATURE),--temperature $(TEMPERATURE))
## NUM samples of SECONDS from STACK into OUT
sample: setup
	$(ADA) sample --stack $(STACK) --seconds $(SECONDS) --num $(NUM) --out $(OUT)/samples $(TEMPERATURE_ARG)

## excerpts of DATA through level 1 and back
reconstruct: setup
	$(ADA) reconstruct --stack $(STACK) --levels 1 --data $(DATA) --excerpts $(EXCERPTS) --seconds $(SECONDS) \
	  --out $(OUT)/reconstructions $(TEMPERATURE_ARG)

## continue INPUT from OFFSET after PROMPT seconds
continue: setup
	$(ADA) continue --stack $(STACK) --input $(INPUT) --offset $(OFFSET) --prompt-seconds $(PROMPT) \
	  --seconds $(SECONDS) --num $(NUM) --out $(OUT)/continuations $(TEMPERATURE_ARG)

# Listening pages, no training: from the shipped stack, or from a stack file named with STACK=... (samples,
# reconstructions of $(DATA)'s eval split, a continuation).
## listening pages of the shipped stack (or of STACK=FILE) and of the shipped MusicVAEs, no training
listen: $(if $(filter command line,$(origin STACK)),listen-stack,shipped-pages) shipped-musicvae-pages

listen-stack: setup $(DATA)/index.json
	@test -f $(STACK) || { echo "error: no stack file $(STACK); name one (make listen STACK=FILE) or build the tiny stack with make demo"; exit 1; }
	$(MAKE) --no-print-directory sample reconstruct continue
	@echo; for page in samples reconstructions continuations; do echo "Listen: $(abspath $(OUT))/$$page/index.html"; done

# The shipped stack (pretrained/, see its MODEL_CARD.md): pages rendered with no training and no corpus, the
# reconstruction and the continuation from the excerpt that ships beside it.
SHIPPED ?= pretrained
shipped-pages: setup
	$(ADA) sample --stack $(SHIPPED)/stack.json --seconds $(SECONDS) --num $(NUM) --out $(OUT)/shipped/samples
	$(ADA) reconstruct --stack $(SHIPPED)/stack.json --levels 1 --input $(SHIPPED)/excerpt.flac --seconds $(SECONDS) \
	  --out $(OUT)/shipped/reconstructions
	$(ADA) continue --stack $(SHIPPED)/stack.json --input $(SHIPPED)/excerpt.flac --prompt-seconds $(PROMPT) \
	  --seconds $(SECONDS) --num 2 --out $(OUT)/shipped/continuations
	@echo; for page in samples reconstructions continuations; do \
	  echo "Listen (shipped stack): $(abspath $(OUT))/shipped/$$page/index.html"; done

# The shipped MusicVAEs (pretrained/musicvae/NAME, each with its MODEL_CARD.md): samples and a path between the two
# examples that ship with each, no training and no data.
SHIPPED_MUSICVAE := $(patsubst %/params.npz,%,$(wildcard $(SHIPPED)/musicvae/*/params.npz))
shipped-musicvae-pages: setup
	@for m in $(SHIPPED_MUSICVAE); do n=$$(basename $$m); \
	  $(ADA) notes sample --workdir $$m --num 8 --out $(OUT)/shipped/musicvae/$$n/samples && \
	  $(ADA) notes interpolate --workdir $$m --from $$m/examples/a.mid --to $$m/examples/b.mid \
	    --out $(OUT)/shipped/musicvae/$$n/interpolation || exit 1; \
	  echo "Listen (MusicVAE $$n): $(abspath $(OUT))/shipped/musicvae/$$n/samples/index.html"; done

# The whole pipeline: first the shipped stack's pages, then the tiny stack trained from scratch, ending with its pages.
## the shipped stack's pages, then a tiny stack trained from scratch and its pages
demo: $(if $(wildcard $(SHIPPED)/stack.json),shipped-pages) train-prior stack
	$(MAKE) --no-print-directory sample reconstruct
	@echo; $(if $(wildcard $(SHIPPED)/stack.json),echo "Listen (shipped stack): $(abspath $(OUT))/shipped/samples/index.html";) \
	 echo "Listen (tiny stack, trained just now): $(abspath $(OUT))/samples/index.html"; \
	 echo "                                       $(abspath $(OUT))/reconstructions/index.html"

# How the shipped stack was made and measured, and the sweeps that chose it, are Python recipes (ada/workflows):
#   ada release train | ship | card      ada sweep level1 | level2 | prior | temperature      (--dry-run, --help)

# Table 1 in small: an unconditional WaveNet, a VQ-VAE level, an AMAE level (#1.4) and the softmax AMAE (#1.6),
# same data and budget.
## paper Table 1 in small: WaveNet, VQ-VAE and AMAE levels, same budget
reproduce-small: setup $(DATA)/index.json
	$(ADA) train --config experiments/tiny_wavenet.py --workdir $(RUNS)/tiny_wavenet --config.data.path=$(DATA) $(TRAIN_ARGS)
	$(ADA) train --config experiments/tiny_level1.py --workdir $(LEVEL1) --config.data.path=$(DATA) $(TRAIN_ARGS)
	$(ADA) train --config experiments/tiny_amae.py --workdir $(RUNS)/tiny_amae --config.data.path=$(DATA) $(TRAIN_ARGS)
	$(ADA) train --config experiments/tiny_amae_softmax.py --workdir $(RUNS)/tiny_amae_softmax --config.data.path=$(DATA) \
	  $(TRAIN_ARGS)
	$(ADA) eval --workdir $(RUNS)/tiny_wavenet --workdir $(LEVEL1) --workdir $(RUNS)/tiny_amae \
	  --workdir $(RUNS)/tiny_amae_softmax --data $(DATA) \
	  --out $(RUNS)/reproduce-small

# MusicVAE (paper Table 1, shaped): tiny 2-bar flat, 16-bar flat and 16-bar hierarchical melody models with
# equal budgets on the folk corpus, the 16-bar ones once per seed in SEEDS, then teacher-forced and sampled
# accuracy, KL and ELBO on the eval split, pooled over the seeds with standard errors.
## MusicVAE Table 1 in small: 2-bar, 16-bar flat and hierarchical (3 seeds each)
reproduce-musicvae: setup notes-data
	$(ADA) train --config experiments/musicvae_tiny_mel_2bar.py --workdir $(RUNS)/musicvae_tiny_mel_2bar \
	  --config.data.path=$(NOTES)/folk-2bar $(TRAIN_ARGS)
	for s in $(SEEDS); do \
	  $(ADA) train --config experiments/musicvae_tiny_flat_mel_16bar.py --workdir $(RUNS)/musicvae_tiny_flat_mel_16bar-seed$$s \
	    --config.seed=$$s --config.data.path=$(NOTES)/folk-16bar $(TRAIN_ARGS) && \
	  $(ADA) train --config experiments/musicvae_tiny_hierdec_mel_16bar.py --workdir $(RUNS)/musicvae_tiny_hierdec_mel_16bar-seed$$s \
	    --config.seed=$$s --config.data.path=$(NOTES)/folk-16bar $(TRAIN_ARGS) || exit 1; \
	done
	$(ADA) notes eval --workdir $(RUNS)/musicvae_tiny_mel_2bar \
	  $(foreach s,$(SEEDS),--workdir $(RUNS)/musicvae_tiny_flat_mel_16bar-seed$(s) --workdir $(RUNS)/musicvae_tiny_hierdec_mel_16bar-seed$(s)) \
	  --out $(RUNS)/reproduce-musicvae

APP_ARGS ?=
## the local web app over the shipped stack (and any MusicVAE: APP_ARGS='--musicvae WORKDIR'); prints its address
app: setup
	$(ADA) app $(APP_ARGS)

## screenshots of each tab of the app, and its time to first sound, for docs/app.md
app-screenshots: setup
	$(BIN)/python -m ada.app.screenshots --out docs/images $(APP_ARGS)

## the docs' pictures drawn again from the shipped stack (docs/images/)
figures: setup
	$(ADA) figures

## speed beside plain references; writes BENCHMARKS.md
bench: setup
	$(ADA) bench --out BENCHMARKS.md --data $(DATA)

## the kit a lent GPU's single call carries: the medium corpus's works that fit, and wheels (docs/training.md)
device-kit: setup $(MEDIUM)/index.json
	$(ADA) device pack --data $(MEDIUM) --kit device-kit

# On a GPU machine: the paper-size figures; the next `make bench` (anywhere) reports them.
## on a GPU machine: the paper-size figures
bench-gpu: setup
	$(ADA) bench --accelerator --out BENCHMARKS.md

## the predictability profile of DATA (paper Fig. 2)
profile: setup $(DATA)/index.json
	$(ADA) profile --data $(DATA) --workdir $(RUNS)/profile-$(notdir $(DATA))

## remove the environment
clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
