# The README's two commands: `make serve` (the site at http://127.0.0.1:8000) and
# `make test` (strict build, every code block on CPU/CUDA, the coverage gate).
# Both first install everything into .venv, once per change of requirements.txt.
VENV := .venv
PY := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

serve: $(VENV)/.installed
	$(PY) -m mkdocs serve

test: $(VENV)/.installed
	$(PY) -m pytest $(ARGS)

.PHONY: serve test
