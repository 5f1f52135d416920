# Two jobs, each sets itself up first: `make lab` (the lessons) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab test lint benchmark release clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[lab,dot]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[lab,dot,test,peers,browser,nbgrader]"
	touch $@

# Jupyter refuses to run as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# The student's JupyterLab opens on START-HERE.ipynb, which lists every lesson and exercise;
# the URL it prints (default_url) opens that page too, not the Launcher.
# Its own config dir (jupyter-config/) switches off nbgrader's menus, sidebar and server
# extensions, which `make test` installs into the same venv; check with
# `JUPYTER_CONFIG_DIR=jupyter-config .venv/bin/jupyter labextension list` (and `server extension list`).
# Its settings overrides (jupyter-config/lab-settings) also turn off JupyterLab's news prompt.
lab: $(VENV)/.lab-installed
	JUPYTER_CONFIG_DIR="$(CURDIR)/jupyter-config" $(BIN)/jupyter lab $(ALLOW_ROOT) \
		--LabApp.app_settings_dir="$(CURDIR)/jupyter-config/lab-settings" \
		--LabApp.default_url=/lab/tree/START-HERE.ipynb START-HERE.ipynb

test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

benchmark: $(VENV)/.test-installed
	$(BIN)/python benchmarks/compare_engines.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
