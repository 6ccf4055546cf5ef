# The habits of this project, one command each. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?= python3
UV_PIN := $(shell grep -m1 "^uv==" requirements-dev.txt)
UV_INSTALL = $(VENV)/bin/uv pip install --quiet $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode) --python $(PY) \
	--excludes requirements-excludes.txt

# What nbstripout strips beyond outputs and its defaults; the committed notebooks are stripped the same way
NOTEBOOK_EXTRA_KEYS := metadata.language_info metadata.papermill cell.metadata.papermill
.DEFAULT_GOAL := help
.PHONY: help install git-filters run browser test test-fast lint format lab apps bench clean

help:  ## list the commands
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt requirements-excludes.txt pyproject.toml
	@echo "Installing the pinned requirements into $(VENV) (uv; pip if uv cannot be installed)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# uv installs the same pins several times faster than pip (benchmarks/install.py); pip stays the fallback.
	@# Where Python may not write .pyc files itself (PYTHONDONTWRITEBYTECODE, as in some CI images), uv
	@# compiles them now, as pip would: otherwise every process compiles every module it imports, each start.
	@# The pins are exact, so uv first tries its cache alone (--offline: under a second when it holds them all,
	@# where asking the index whether each cached file is still current takes up to a minute); if anything is
	@# missing it installs nothing and the second command fetches from the index. What requirements-excludes.txt
	@# lists is then removed too, where an older install (or pip, which has no --excludes) had put it.
	@if $(PY) -m pip install --quiet --disable-pip-version-check $(UV_PIN); then \
	  { $(UV_INSTALL) --offline -r requirements.txt -r requirements-dev.txt 2>/dev/null || \
	    $(UV_INSTALL) -r requirements.txt -r requirements-dev.txt; } && \
	  $(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e . && \
	  $(VENV)/bin/uv pip uninstall --quiet --python $(PY) -r requirements-excludes.txt; \
	else \
	  echo "uv could not be installed: installing with pip (slower)"; \
	  $(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt && \
	  $(PY) -m pip install --quiet --no-deps -e . && \
	  $(PY) -m pip uninstall --quiet --yes -r requirements-excludes.txt; \
	fi
	@$(MAKE) --no-print-directory git-filters
	@touch $(STAMP)
	@echo "Installed: $(VENV) is ready."

install: $(STAMP)  ## create .venv and install everything (run by the other commands)

# Executed notebooks never dirty git: nbstripout, as a git filter, strips outputs (and the kernel's
# version details) from what git sees; the files on disk keep them. Run by make install.
git-filters:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(VENV)/bin/nbstripout --install && \
	  git config filter.nbstripout.extrakeys "$(NOTEBOOK_EXTRA_KEYS)" && \
	  echo "git strips notebook outputs (nbstripout): executed notebooks do not show as changed"; \
	fi

# The backend is the settings' choice: Hopsworks when HOPSWORKS_API_KEY is exported, else the local store (its
# first line says which); a Hopsworks login that fails stops it with one line before any notebook runs.
run: $(STAMP)  ## run the daily job (on Hopsworks with HOPSWORKS_API_KEY, else locally) and build the dashboard
	@$(PY) -m serverless_ml daily

# The browser tests drive a system Chromium, else Playwright's own; when neither is found, one is installed
# (root with apt-get: the chromium package; otherwise Playwright's download), and one line says which.
browser: $(STAMP)  ## find or install the Chromium the browser tests drive (run by make test)
	@$(PY) -m tests.browser

test: $(STAMP) browser  ## lint, format check and the whole test suite
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

test-fast: $(STAMP)  ## the test suite without the slow end-to-end runs
	$(PY) -m pytest -m "not slow"

lint: $(STAMP)  ## lint and format check only (code and workflows)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# make test runs it too, beside the workflows' schema and zizmor checks (tests/test_daily_e2e.py)
	$(VENV)/bin/actionlint -shellcheck $(VENV)/bin/shellcheck

format: $(STAMP)  ## fix lint findings and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# After a save, a notebook whose stripped content git has is re-added, so git status stays clean
LAB_HOOKS := --ContentsManager.post_save_hook=serverless_ml.jupyter_hooks.refresh_git_after_save
lab: $(STAMP)  ## start JupyterLab on the notebooks (more flags: LAB_ARGS="--no-browser --port 8899")
	@# Jupyter refuses to run as root without --allow-root (containers, Codespaces): add it only for root
	$(VENV)/bin/jupyter lab notebooks $(LAB_HOOKS) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

apps: $(STAMP)  ## start the four Gradio apps on ports 7860-7863
	$(PY) -m serverless_ml apps

bench: $(STAMP)  ## run the benchmarks and print their tables
	$(PY) benchmarks/store.py
	$(PY) benchmarks/hopsworks5.py
	$(PY) benchmarks/daily.py
	$(PY) benchmarks/apps.py
	$(PY) benchmarks/install.py

clean:  ## remove the local store, the built dashboard and caches
	rm -rf .sml docs/iris docs/titanic docs/index.html docs/runs docs/assets .pytest_cache .ruff_cache
