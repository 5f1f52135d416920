# Each target sets itself up first: `make lab` (the lessons), `make test` (everything),
# `make check` (the edit-test loop), `make docs` (the documentation site),
# `make derived` (rebuild every generated file; `tools/derived.py --check` only compares).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab test check lint docs derived benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[lab,dot]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[lab,dot,test,docs,peers,browser,nbgrader]"
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

# Style, formatting and the import contracts (pyproject.toml's [tool.importlinter]).
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Workers: one per core. --dist loadscope keeps each test file (and each notebook's cells)
# on one worker, and the sandboxed grading modules together on one (see conftest.py).
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadscope
# Python's default whatever the shell sets: keep compiled modules and pytest's rewritten
# test modules between runs. Under PYTHONDONTWRITEBYTECODE (set on some machines) every
# worker rewrites and compiles the whole suite again each run: 16 s of collection, not 11.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

# Everything: lint, every test, every lesson and exercise notebook, the grading batches,
# the browser tests and the documentation build.
test: lint
	$(PYTEST) $(XDIST)

# The edit-test loop: lint and the unit tests; no notebooks, kernels, sandboxes or browser.
check: lint
	$(PYTEST) $(XDIST) -m "not slow" tests

# The documentation site, static HTML in docs/_build/html (offline; see docs/README.md).
docs: $(VENV)/.test-installed
	$(BIN)/python tools/build_docs.py

# Every generated file: lessons (executed), START-HERE.ipynb, exercise sources, releases.
derived: $(VENV)/.test-installed
	$(BIN)/python tools/derived.py

benchmark: $(VENV)/.test-installed
	$(BIN)/python benchmarks/compare_engines.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts docs/_build
