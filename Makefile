# The README's two commands: `make serve` (the site at http://127.0.0.1:8000) and
# `make test` (strict build, every code block on CPU/CUDA, the coverage gate, the
# browser tests). Both first install what they need: Python packages into .venv
# (again whenever requirements.txt changes) and, for the tests, Debian's Chromium.
VENV := .venv
PY := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q -e . --no-deps
	touch $@

serve: $(VENV)/.installed
	$(PY) -m mkdocs serve

# Browser tests drive /usr/bin/chromium (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "no chromium: the browser tests will be skipped (sudo apt-get install chromium fonts-noto-cjk)"; fi; }

test: $(VENV)/.installed chromium
	$(PY) -m pytest $(ARGS)

# A copy of the site that works from the file system (search included): offline.zip
offline: $(VENV)/.installed
	rm -rf site offline.zip
	$(PY) -m mkdocs build --strict
	cd site && ../$(PY) -m zipfile -c ../offline.zip .
	@echo "offline.zip: unzip it anywhere and open index.html"

# What GitHub Pages publishes (.github/workflows/pages.yml, after CI passed): the site built
# with the report of the test run of this commit, the offline copy inside it.
# `make pages` reproduces it from a fresh clone: the tests, then that build.
pages: test pages-build

pages-build: $(VENV)/.installed
	@test -s verification/local.json || { echo "no verification/local.json: run the tests first (make pages)"; exit 1; }
	rm -rf site offline.zip
	$(PY) -m mkdocs build --strict
	cd site && ../$(PY) -m zipfile -c ../offline.zip .
	cp offline.zip site/offline.zip
	@echo "site/: the site as published, with site/offline.zip"

.PHONY: serve chromium test offline pages pages-build

# The site built with ProperDocs (the MkDocs 1.x fork) in its own venv, then checked for
# what the hooks and the Markdown extensions add: a badge and downloads on every Q&A page,
# MathML wherever a page has formulas, the figures, the question index, the site's search
# index and CSP (engine/site_check.py; `python -m engine.site_check site/` checks any build).
# CI's `portable` job (.github/workflows/ci.yml) runs this.
PROPERDOCS_VENV := .venvs/properdocs
PROPERDOCS_SITE ?= site-properdocs

$(PROPERDOCS_VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(PROPERDOCS_VENV)
	$(PROPERDOCS_VENV)/bin/python -m pip install -q -r requirements.txt properdocs==1.6.7
	$(PROPERDOCS_VENV)/bin/python -m pip install -q -e . --no-deps
	touch $@

check-properdocs: $(PROPERDOCS_VENV)/.installed
	rm -rf $(PROPERDOCS_SITE)
	$(PROPERDOCS_VENV)/bin/python -m properdocs build --strict -f $(CURDIR)/mkdocs.yml -d $(PROPERDOCS_SITE)
	$(PROPERDOCS_VENV)/bin/python -m engine.site_check $(PROPERDOCS_SITE)

.PHONY: check-properdocs

# A new Q&A page from the template (see CONTRIBUTING.md):
#   make page SLUG=adam-explained TITLE="解释 adam" QUESTION="原样的提问" SECTION=手写优化器
page: $(VENV)/.installed
	$(PY) scripts/new_page.py "$(SLUG)" --title "$(TITLE)" --question "$(QUESTION)" --section "$(or $(SECTION),手写优化器)"

.PHONY: page

# Only the pages changed since main, and the pages that include a changed snippet:
#   make test-changed            (BASE=origin/main to compare with another ref)
BASE ?= main
test-changed: $(VENV)/.installed
	@pages=$$( { git diff --name-only $(BASE) -- 'docs/*.md' 'docs/**/*.md'; \
	             git ls-files --others --exclude-standard -- docs | grep '\.md$$'; \
	             for s in $$(git diff --name-only $(BASE) -- snippets); do grep -rl --include='*.md' "$$s" docs; done; \
	           } | sort -u | while read -r p; do [ -f "$$p" ] && echo "$$p"; done ); \
	if [ -z "$$pages" ]; then echo "no page changed since $(BASE)"; else echo "testing:" $$pages; $(PY) -m pytest $$pages; fi

.PHONY: test-changed

# CI split into jobs (.github/workflows/ci-sharded.yml). Job SHARD of SHARDS: every
# SHARDS-th page, on all this job's cores, into its own report.
test-shard: $(VENV)/.installed
	$(PY) -m pytest docs --shard $(SHARD)/$(SHARDS) -n auto --dist loadfile \
	  --doc-report verification/shards/$(SHARD).json $(ARGS)

# Then one job: one report from the shards', and every other test against it.
test-merged: $(VENV)/.installed chromium
	$(PY) -m engine merge verification/local.json verification/shards/*.json
	$(PY) -m pytest tests $(ARGS)

.PHONY: test-shard test-merged

# The torch version matrix (README: 在其他 torch 版本上运行): the doc tests (CPU) with the
# page processes in a venv of that torch, pytest staying in .venv; the report of that run
# alone goes to verification/torch-$(TORCH).json.
#   make test-torch TORCH=1.12.0              (PYTHON=python3.10 by default for torch 1.x)
#   make test-torch TORCH=2.0.0 PYTHON=/path/to/python3.11
# torch 1.x has wheels only up to Python 3.10; torch < 2.3 was built against numpy 1.x.
# TORCH_PIP_ARGS: extra pip arguments, e.g. an --index-url of PyTorch's CPU-only wheel index (small CPU builds).
TORCH ?= 2.13.0
TORCH_VENVS ?= .venvs
TORCH_VENV := $(TORCH_VENVS)/torch-$(TORCH)
TORCH_OLD := $(filter 1.% 2.0.% 2.1.% 2.2.%,$(TORCH))
# The first python3.10 that runs (a pyenv shim on PATH may refuse to); evaluated only when used.
PY310 = $(or $(firstword $(foreach p,$(shell command -v python3.10) $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10),\
  $(shell $(p) -c 'print("$(p)")' 2>/dev/null))),python3.10)
PYTHON ?= $(if $(filter 1.%,$(TORCH)),$(PY310),python3)
TORCH_PIP_ARGS ?=

$(TORCH_VENVS)/torch-%/.installed:
	$(PYTHON) -m venv $(TORCH_VENVS)/torch-$*
	$(TORCH_VENVS)/torch-$*/bin/python -m pip install -q $(TORCH_PIP_ARGS) "torch==$*" \
	  $(if $(TORCH_OLD),"numpy<2",numpy) matplotlib
	touch $@

test-torch: $(VENV)/.installed $(TORCH_VENV)/.installed
	rm -f verification/torch-$(TORCH).json
	$(PY) -m pytest docs --torch-python $(TORCH_VENV)/bin/python --run-below-torch-min \
	  --doc-report verification/torch-$(TORCH).json $(ARGS)

.PHONY: test-torch

# CUDA on every change (.github/workflows/gpu.yml; README: 在 GPU 机器上运行测试): the doc
# tests on CPU and CUDA with the machine's own CUDA build of torch, the same command on any
# CUDA machine. The venv sees the system's packages (its torch) and gets everything else
# from requirements.txt except the CPU torch pinned there. The report of this run alone goes
# to verification/gpu-NAME.json, NAME the GPU model (e.g. gpu-nvidia-h100-80gb-hbm3.json).
# Stops before installing anything when torch sees no CUDA device.
#   make test-gpu                      (GPU_PYTHON=/path/to/python3.11+ with a CUDA torch)
GPU_PYTHON ?= python3
GPU_VENV := .venvs/gpu
GPU_NAME = $(shell $(GPU_PYTHON) -c 'import re, torch; print(re.sub(r"[^a-z0-9]+", "-", torch.cuda.get_device_name(0).lower()).strip("-"))')

gpu-check:
	@$(GPU_PYTHON) -c 'import sys, torch; torch.cuda.is_available() or sys.exit(f"make test-gpu: no CUDA device here (torch {torch.__version__}: torch.cuda.is_available() is False)")'
	@$(GPU_PYTHON) -c 'import torch; print("CUDA device:", torch.cuda.get_device_name(0), "· torch", torch.__version__)'

$(GPU_VENV)/.installed: requirements.txt pyproject.toml
	$(GPU_PYTHON) -m venv --system-site-packages $(GPU_VENV)
	grep -v '^torch==' requirements.txt | $(GPU_VENV)/bin/python -m pip install -q -r /dev/stdin
	$(GPU_VENV)/bin/python -m pip install -q -e . --no-deps
	touch $@

test-gpu: gpu-check $(GPU_VENV)/.installed
	rm -f verification/gpu-$(GPU_NAME).json
	$(GPU_VENV)/bin/python -m pytest docs -p no:cacheprovider --doc-report verification/gpu-$(GPU_NAME).json $(ARGS)
	@$(GPU_VENV)/bin/python -c 'import json, sys; p = sys.argv[1]; ran = [e for e in json.load(open(p))["entries"] if e["device"] == "cuda" and e["outcome"] != "skipped"]; \
	  print(f"{p}: {len(ran)} CUDA items ran") if ran else sys.exit(f"{p}: no CUDA item ran (all skipped)")' verification/gpu-$(GPU_NAME).json

.PHONY: gpu-check test-gpu
