# Shared by the instructor Makefile and the student bundle's Makefile:
# every target that needs Python depends on $(STAMP), which creates .venv and
# installs the package on first use, and again only when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 1
export PYTHONDONTWRITEBYTECODE := 1

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 13) else f"Python 3.10 to 3.13 is needed, found {sys.version.split()[0]} at {sys.executable}; run make PYTHON=<path of a python3.10 to 3.13>")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the package and its dependencies into $(VENV) (first run only, a few minutes)..."
	@$(PY) -m pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1
	@$(PY) -m pip install -e . >> $(VENV)/install.log 2>&1 || (tail -30 $(VENV)/install.log; echo "install failed: see $(VENV)/install.log"; exit 1)
	@$(PY) -c 'from saltlab.tensorflow_import import import_tensorflow; import_tensorflow(); import keras, skimage' || (echo "install failed: see $(VENV)/install.log"; exit 1)
	@touch $(STAMP)

.PHONY: help setup
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv and install (done automatically by the other targets)
