# Two commands from a fresh clone:  make reproduce   and   make test
# Both create .venv when missing: torch==2.13.0 (CPU) first, then the pinned package in editable mode.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Extra pip arguments for torch, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
# on a Linux laptop with network access (keeps pip from fetching CUDA wheels).
TORCH_PIP_ARGS ?=
PROFILE ?= default
ONLY ?=

.PHONY: setup reproduce test unit notebooks env list lab clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0 $(TORCH_PIP_ARGS)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	$(PY) -c "import torch; assert not torch.version.cuda or '$(ALLOW_CUDA)', 'a CUDA torch was installed'"
	touch $@

reproduce: setup
	$(PY) -m dreamlite_core reproduce --profile $(PROFILE) $(if $(ONLY),--only $(ONLY))

test: setup
	$(PY) -m pytest tests

unit: setup
	$(PY) -m pytest tests -m "not notebooks"

notebooks: setup
	$(PY) -m pytest tests -m notebooks

env: setup
	$(PY) -m dreamlite_core env

list: setup
	$(PY) -m dreamlite_core list

lab: setup
	$(VENV)/bin/jupyter lab --allow-root notebooks/

clean:
	rm -rf runs/smoke
