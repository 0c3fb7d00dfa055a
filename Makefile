# ADA: every target creates the environment it needs, so a fresh clone runs `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := fluidsynth fluid-soundfont-gm musescore-general-soundfont chromium
SMALL := data/prepared/piano-small
MEDIUM := data/prepared/piano-medium

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
SECONDS ?= 4
NUM ?= 4
EXCERPTS ?= 3
OUT ?= $(RUNS)/demo
# Continuation: PROMPT seconds of INPUT from OFFSET, then SECONDS sampled (default: the small corpus's eval piece)
INPUT ?= $(SMALL)/renders/bach__bwv10.7.flac
OFFSET ?= 0
PROMPT ?= 4
ADA := $(BIN)/ada

.PHONY: setup system-deps lint test test-fast data data-full notes-data notes-chorales clean train-level1 \
        encode-level1 train-level2 encode-level2 train-level2-pbt train-prior stack sample reconstruct continue listen \
        demo reproduce-small reproduce-musicvae bench bench-gpu profile data-medium listen-stack \
        shipped-pages train-shipped ship ship-card sweep-level1 sweep-level2 sweep-prior sweep-temperature

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

lint: setup
	$(BIN)/ruff check ada tests experiments

# Test files run in parallel, one file per worker at a time (its module fixtures stay together).
TEST_WORKERS ?= 2
test: setup lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

# The quick loop: in-process unit tests, mirroring the package (tests/unit); tests/e2e runs whole commands.
test-unit: setup lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile tests/unit

data: $(SMALL)/index.json

$(SMALL)/index.json: | setup
	$(ADA) corpus --out $(SMALL) --size small
	$(ADA) info $(SMALL)

%/index.json:
	@echo "error: no dataset at $*; make one with: $(ADA) prepare YOUR_RECORDINGS --out $*"; exit 1

data-medium: $(MEDIUM)/index.json

$(MEDIUM)/index.json: | setup
	$(ADA) corpus --out $(MEDIUM) --size medium
	$(ADA) info $(MEDIUM)

data-full: setup
	$(BIN)/ada corpus --out data/prepared/piano-full --size full
	$(BIN)/ada info data/prepared/piano-full

# Note datasets for MusicVAE from music21's corpus, offline (data/README.md): the folk tunes' 2- and 16-bar
# melody windows, and the Bach chorales' four voices. Tunes are parsed once into $(NOTES)/.notes-cache.
NOTES ?= data/notes
notes-data: $(NOTES)/folk-2bar/index.json $(NOTES)/folk-16bar/index.json

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
train-level1: setup $(DATA)/index.json
	$(ADA) train --config $(or $(CONFIG),experiments/tiny_level1.py) --workdir $(or $(WORKDIR),$(LEVEL1)) \
	  --config.data.path=$(DATA) $(TRAIN_ARGS)

encode-level1: train-level1
	$(ADA) encode --level $(LEVEL1) --data $(DATA) --out $(CODES1)

train-level2: $(if $(CONFIG),setup,encode-level1)
	$(ADA) train --config $(or $(CONFIG),experiments/tiny_level2.py) --workdir $(or $(WORKDIR),$(LEVEL2)) \
	  --config.data.path=$(if $(CONFIG),$(DATA),$(CODES1)) $(TRAIN_ARGS)

# Population based training of level 2 (ada pbt): then `make encode-level2 LEVEL2=$(PBT)/best`. A PBT member
# (it has pbt.jsonl) is trained by this target, so encode-level2 does not train it again.
train-level2-pbt: $(if $(CONFIG),setup,encode-level1)
	$(ADA) pbt --config $(or $(CONFIG),experiments/tiny_level2_pbt.py) --workdir $(or $(WORKDIR),$(PBT)) \
	  --config.data.path=$(if $(CONFIG),$(DATA),$(CODES1)) $(PBT_ARGS)

encode-level2: $(if $(wildcard $(LEVEL2)/pbt.jsonl),setup,train-level2)
	$(ADA) encode --level $(LEVEL2) --data $(CODES1) --out $(CODES2)

train-prior: $(if $(CONFIG),setup,encode-level2)
	$(ADA) train --config $(or $(CONFIG),$(PRIOR_CONFIG)) --workdir $(or $(WORKDIR),$(PRIOR)) \
	  --config.data.path=$(if $(CONFIG),$(DATA),$(CODES2)) $(TRAIN_ARGS) $(PRIOR_ARGS)

stack:
	@mkdir -p $(dir $(STACK))
	@echo '{"levels": ["$(abspath $(LEVEL1))", "$(abspath $(LEVEL2))"], "prior": "$(abspath $(PRIOR))"}' > $(STACK)
	@echo "stack: $(STACK)"

# TEMPERATURE: one for every model or one per model (levels bottom first, then the prior); default: the stack file's
TEMPERATURE_ARG = $(if $(TEMPERATURE),--temperature $(TEMPERATURE))
sample: setup
	$(ADA) sample --stack $(STACK) --seconds $(SECONDS) --num $(NUM) --out $(OUT)/samples $(TEMPERATURE_ARG)

reconstruct: setup
	$(ADA) reconstruct --stack $(STACK) --levels 1 --data $(DATA) --excerpts $(EXCERPTS) --seconds $(SECONDS) \
	  --out $(OUT)/reconstructions $(TEMPERATURE_ARG)

continue: setup
	$(ADA) continue --stack $(STACK) --input $(INPUT) --offset $(OFFSET) --prompt-seconds $(PROMPT) \
	  --seconds $(SECONDS) --num $(NUM) --out $(OUT)/continuations $(TEMPERATURE_ARG)

# Listening pages, no training: from the shipped stack, or from a stack file named with STACK=... (samples,
# reconstructions of $(DATA)'s eval split, a continuation).
listen: $(if $(filter command line,$(origin STACK)),listen-stack,shipped-pages)

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

# The whole pipeline on 2 CPU cores in about 20 minutes: first the shipped stack's pages, then the tiny stack
# trained from scratch, ending with its pages.
demo: $(if $(wildcard $(SHIPPED)/stack.json),shipped-pages) train-prior stack
	$(MAKE) --no-print-directory sample reconstruct
	@echo; $(if $(wildcard $(SHIPPED)/stack.json),echo "Listen (shipped stack): $(abspath $(OUT))/shipped/samples/index.html";) \
	 echo "Listen (tiny stack, trained just now): $(abspath $(OUT))/samples/index.html"; \
	 echo "                                       $(abspath $(OUT))/reconstructions/index.html"

# How the shipped stack is made: the tiny levels (the size `make sweep-level1` chose) trained for SHIP_STEPS steps
# each on the medium corpus and the 4-s prior (the one `make sweep-prior` chose) for SHIP_PRIOR_STEPS (hours on 2
# CPU cores; each step resumes), its pages, then `ada export` into $(SHIPPED) with a model card that sets its
# measures beside the tiny demo stack's (make demo first) and the corpus's.
SHIP_HARDWARE ?= $(shell nproc) CPU cores, no accelerator
SHIP_RUNS ?= workdirs/shipped
SHIP_STEPS ?= 4000
SHIP_PRIOR ?= tiny_prior_4s
SHIP_PRIOR_STEPS ?= 6000
train-shipped: $(MEDIUM)/index.json
	$(MAKE) --no-print-directory train-prior stack DATA=$(MEDIUM) RUNS=$(SHIP_RUNS) \
	  PRIOR=$(SHIP_RUNS)/$(SHIP_PRIOR) PRIOR_CONFIG=experiments/$(SHIP_PRIOR).py \
	  TRAIN_ARGS="--config.train.steps=$(SHIP_STEPS) $(TRAIN_ARGS)" PRIOR_ARGS="--config.train.steps=$(SHIP_PRIOR_STEPS)"

# `make ship` exports the trained workdirs into $(SHIPPED), then `make ship-card` measures the export itself
# (bfloat16 parameters draw other samples than the workdirs') at the shipped temperatures and, by the sweep, at
# others, and writes the export again with their measures and the temperature sweep in its card. An export of an
# export keeps its steps and training times, so `make ship-card` alone measures a shipped stack again (or at another
# SHIP_TEMPERATURE) without its workdirs; SHIP_HARDWARE names where it was trained. Pages are in folders named by
# their count, length and temperature, and one drawn since the parameters were exported (or, for the tiny stack,
# trained) is not drawn again: a rerun continues. The card leaves out sweep pages older than the parameters.
SHIP_TEMPERATURE ?= 0.2,0.3,1
SHIP_NUM ?= 96
SHIP_DTYPE ?= bfloat16
SHIP_EXPORT = $(ADA) export --out $(SHIPPED) --overwrite --hardware "$(SHIP_HARDWARE)" --temperature $(SHIP_TEMPERATURE) \
  --dtype $(SHIP_DTYPE)
# $(call fresh,JSON,INPUTS): true when the page JSON was written after every file of INPUTS (the parameters it was
# drawn from: an export onto itself leaves them as they are, `make ship` writes them anew)
fresh = test -f $(1) && ! find $(2) -newer $(1) 2>/dev/null | grep -q .
# $(call draw,KIND,STACK,INPUTS,OUT,TEMPERATURE): `make KIND` (sample or reconstruct) into OUT unless its page is fresh
page_json = $(if $(filter sample,$(1)),samples/samples.json,reconstructions/reconstructions.json)
draw = $(call fresh,$(4)/$(call page_json,$(1)),$(3)) || \
  $(MAKE) --no-print-directory $(1) STACK=$(2) NUM=$(SHIP_NUM) OUT=$(4) TEMPERATURE=$(5)
SHIPPED_PARAMS = $(SHIPPED)/*/params.npz
TINY_INPUTS = $(STACK) $(LEVEL1) $(LEVEL2) $(PRIOR)
# (make expands a recipe before running it: what a step makes cannot be tested for by a later step's $(wildcard))
TINY_DEMO = $(wildcard $(RUNS)/demo/samples)
ship: train-shipped $(SMALL)/index.json
	$(SHIP_EXPORT) --stack $(SHIP_RUNS)/stack.json
	$(MAKE) --no-print-directory ship-card
	$(BIN)/python -c "import soundfile as sf; x, r = sf.read('$(INPUT)'); sf.write('$(SHIPPED)/excerpt.flac', x[8 * r:20 * r], r)"

SHIP_PAGES = $(SHIP_RUNS)/pages-$(SHIP_NUM)x$(SECONDS)s
TINY_PAGES = $(RUNS)/demo-pages-$(SHIP_NUM)x$(SECONDS)s
ship-card: setup $(SMALL)/index.json
	@test -f $(SHIPPED)/stack.json || { echo "error: no exported stack in $(SHIPPED); make ship makes one"; exit 1; }
	$(MAKE) --no-print-directory sweep-temperature SWEEP_STACK="$(SHIP_TEMPERATURE) $(SWEEP_STACK)" \
	  SWEEP_LEVEL1="$(SHIP_TEMPERATURE) $(SWEEP_LEVEL1)"
	@for t in $(if $(TINY_DEMO),$(SHIP_TEMPERATURE) 1); do \
	  $(call draw,sample,$(STACK),$(TINY_INPUTS),$(TINY_PAGES)/$$t,$$t) || exit 1; \
	  $(call draw,reconstruct,$(STACK),$(TINY_INPUTS),$(TINY_PAGES)/$$t,$$t) || exit 1; done
	$(SHIP_EXPORT) --stack $(SHIPPED)/stack.json --measured "shipped=$(SHIP_PAGES)/$(SHIP_TEMPERATURE)" \
	  --measured "shipped at temperature 1=$(SHIP_PAGES)/1" \
	  $(if $(TINY_DEMO),--measured "tiny demo at the shipped temperatures=$(TINY_PAGES)/$(SHIP_TEMPERATURE)" \
	    --measured "tiny demo at temperature 1=$(TINY_PAGES)/1") \
	  --sweep $(SHIP_PAGES)

# The sweep that chose SHIP_TEMPERATURE, on the exported stack: reconstructions (level 1 alone) at each of
# SWEEP_LEVEL1, SHIP_NUM samples at each per-model setting of SWEEP_STACK (levels bottom first, then the prior), each
# in a folder named by its setting (both lists hold 1: its folder is the card's "shipped at temperature 1"; `make
# ship-card` adds SHIP_TEMPERATURE to both, its folder the card's "shipped").
SWEEP_LEVEL1 ?= 1 0.8 0.6 0.4 0.3 0.2 0.1
SWEEP_STACK ?= 1 0.3,0.6,1 0.2,0.6,1 0.2,0.3,1 0.1,0.1,0.9 0.2,0.3,0.8 0.2,0.3,0.9 0.2,0.3,1.1
sweep-temperature: setup $(SMALL)/index.json
	@for t in $(sort $(SWEEP_LEVEL1)); do \
	  $(call draw,reconstruct,$(SHIPPED)/stack.json,$(SHIPPED_PARAMS),$(SHIP_PAGES)/$$t,$$t) || exit 1; done
	@for t in $(sort $(SWEEP_STACK)); do \
	  $(call draw,sample,$(SHIPPED)/stack.json,$(SHIPPED_PARAMS),$(SHIP_PAGES)/$$t,$$t) || exit 1; done

# The short sweep that chose the shipped level 1's size: each size of local model trained for SWEEP_MINUTES of wall
# time on the medium corpus (SIGTERM checkpoints and stops it; a finished size is not run again), then measured side
# by side by `ada eval` on the small corpus's held-out piece (NLL, and reconstructions at temperature 1).
SWEEP_MINUTES ?= 10
SWEEP_RUNS ?= workdirs/sweep
SWEEP_SIZES := tiny= \
  wide=--config.model.local.residual=96,--config.model.local.inner=48,--config.model.local.skip=96 \
  deep=--config.model.local.stages=8,--config.model.local.residual=64,--config.model.local.inner=32,--config.model.local.skip=64
sweep-level1: setup $(MEDIUM)/index.json $(SMALL)/index.json
	@for entry in $(SWEEP_SIZES); do size=$${entry%%=*}; args=$$(echo $${entry#*=} | tr , ' '); \
	  test -f $(SWEEP_RUNS)/$$size/swept || { \
	    timeout -s TERM $(SWEEP_MINUTES)m $(ADA) train --config experiments/tiny_level1.py --workdir $(SWEEP_RUNS)/$$size \
	      --config.data.path=$(MEDIUM) --config.train.steps=1000000 $$args; \
	    test $$? -eq 0 -o $$? -eq 124 && touch $(SWEEP_RUNS)/$$size/swept || exit 1; }; done
	$(ADA) eval $(foreach e,$(SWEEP_SIZES),--workdir $(SWEEP_RUNS)/$(firstword $(subst =, ,$(e)))) --data $(SMALL) \
	  --excerpts 3 --seconds 4 --out $(SWEEP_RUNS)/sweep

# Where the samples lose the key: SWEEP_EXCERPTS training excerpts of the medium corpus encoded and rendered back through
# the shipped level 1 alone, through both shipped levels, and through the shipped level 1 under each level 2 of
# SWEEP_LEVEL2 (trained SWEEP_LEVEL2_STEPS steps on the shipped level 1's codes), at the shipped temperatures (theirs:
# SWEEP_LEVEL2_TEMPERATURE). A prior's samples cannot show more of the key than the levels under it keep.
SWEEP_LEVEL2 ?= long=--config.train.steps=16000 codes256=--config.model.quantiser.codes=256 \
  rf32=--config.model.local.stages=5,--config.model.local.repeats=1 hop4=--config.model.hop=4 \
  hop4long=--config.model.hop=4,--config.train.steps=12000 \
  wide=--config.model.encoder.residual=96,--config.model.encoder.inner=96,--config.model.encoder.skip=96,--config.model.modulator.residual=96,--config.model.modulator.inner=96,--config.model.modulator.skip=96 \
  amae=--config.model.quantiser.kind=argmax,--config.model.quantiser.diversity=5.0 \
  deep=--config.model.encoder.stages=7,--config.model.modulator.stages=5 \
  rf255=--config.model.local.stages=7,--config.data.crop=1024
SWEEP_LEVEL2_STEPS ?= 4000
SWEEP_LEVEL2_TEMPERATURE ?= 0.2,0.3
SWEEP_EXCERPTS ?= 32
RECONSTRUCT_TRAIN = $(ADA) reconstruct --data $(MEDIUM) --split train --excerpts $(SWEEP_EXCERPTS) --seconds 4
sweep-level2: setup
	@test -f $(MEDIUM)-codes1/index.json || { echo "error: no $(MEDIUM)-codes1: make train-shipped encodes it"; exit 1; }
	$(RECONSTRUCT_TRAIN) --stack $(SHIPPED)/stack.json --levels 1 --out $(SWEEP_RUNS)/level2/through-level1
	$(RECONSTRUCT_TRAIN) --stack $(SHIPPED)/stack.json --levels 2 --out $(SWEEP_RUNS)/level2/shipped
	@for entry in $(SWEEP_LEVEL2); do name=$${entry%%=*}; args=$$(echo $${entry#*=} | tr , ' '); \
	  $(ADA) train --config experiments/tiny_level2.py --workdir $(SWEEP_RUNS)/level2/$$name \
	    --config.data.path=$(MEDIUM)-codes1 --config.train.steps=$(SWEEP_LEVEL2_STEPS) $$args || exit 1; \
	  level2=$(abspath $(SWEEP_RUNS))/level2/$$name; temperature='"temperature": {"levels": [$(SWEEP_LEVEL2_TEMPERATURE)]}'; \
	  echo "{\"levels\": [\"$(abspath $(SHIPPED))/level1\", \"$$level2\"], $$temperature}" > $$level2.json; \
	  $(RECONSTRUCT_TRAIN) --stack $(SWEEP_RUNS)/level2/$$name.json --levels 2 --out $(SWEEP_RUNS)/level2/$$name-pages \
	    || exit 1; done

# The short sweep that chose the shipped prior: each of SWEEP_PRIORS trained for SHIP_PRIOR_STEPS on the shipped
# levels' top codes of the medium corpus (make train-shipped first), then SHIP_NUM samples of each over the exported
# levels at the shipped temperatures, their measures on each page.
SWEEP_PRIORS ?= tiny_prior tiny_prior_4s
sweep-prior: setup
	@test -f $(MEDIUM)-codes2/index.json || { echo "error: no $(MEDIUM)-codes2: make train-shipped encodes it"; exit 1; }
	@for p in $(SWEEP_PRIORS); do $(MAKE) --no-print-directory train-prior stack sample CONFIG=experiments/$$p.py \
	  DATA=$(MEDIUM)-codes2 PRIOR=$(SWEEP_RUNS)/$$p PRIOR_ARGS=--config.train.steps=$(SHIP_PRIOR_STEPS) \
	  LEVEL1=$(SHIPPED)/level1 LEVEL2=$(SHIPPED)/level2 STACK=$(SWEEP_RUNS)/$$p.json \
	  NUM=$(SHIP_NUM) TEMPERATURE=$(SHIP_TEMPERATURE) OUT=$(SWEEP_RUNS)/$$p-pages || exit 1; done

# Table 1 in small: an unconditional WaveNet, a VQ-VAE level, an AMAE level (#1.5) and the softmax AMAE (#1.6),
# same data and budget.
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
# equal budgets on the folk corpus, then teacher-forced and sampled accuracy, KL and ELBO on the eval split.
reproduce-musicvae: setup notes-data
	$(ADA) train --config experiments/musicvae_tiny_mel_2bar.py --workdir $(RUNS)/musicvae_tiny_mel_2bar \
	  --config.data.path=$(NOTES)/folk-2bar $(TRAIN_ARGS)
	$(ADA) train --config experiments/musicvae_tiny_flat_mel_16bar.py --workdir $(RUNS)/musicvae_tiny_flat_mel_16bar \
	  --config.data.path=$(NOTES)/folk-16bar $(TRAIN_ARGS)
	$(ADA) train --config experiments/musicvae_tiny_hierdec_mel_16bar.py \
	  --workdir $(RUNS)/musicvae_tiny_hierdec_mel_16bar --config.data.path=$(NOTES)/folk-16bar $(TRAIN_ARGS)
	$(ADA) notes eval --workdir $(RUNS)/musicvae_tiny_mel_2bar --workdir $(RUNS)/musicvae_tiny_flat_mel_16bar \
	  --workdir $(RUNS)/musicvae_tiny_hierdec_mel_16bar --out $(RUNS)/reproduce-musicvae

bench: setup
	$(ADA) bench --out BENCHMARKS.md --data $(DATA)

# On a GPU machine: the paper-size figures; the next `make bench` (anywhere) reports them.
bench-gpu: setup
	$(ADA) bench --accelerator --out BENCHMARKS.md

profile: setup $(DATA)/index.json
	$(ADA) profile --data $(DATA) --workdir $(RUNS)/profile-$(notdir $(DATA))

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
