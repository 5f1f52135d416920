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

lab: $(VENV)/.lab-installed
	$(BIN)/jupyter lab $(ALLOW_ROOT) notebooks/

test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

benchmark: $(VENV)/.test-installed
	$(BIN)/python benchmarks/compare_engines.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
