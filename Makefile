# Every target installs what it needs: a fresh machine only needs Python 3.10+ and make.
SHELL := /bin/bash
PYTHON ?= python3
FLOOR_AIRFLOW ?= 3.1.0
# Resolve the floor's dependencies as of its release, as Airflow's own constraint files do
# (later structlog releases break 3.1.0's logging, for instance).
FLOOR_DATE ?= 2025-09-27
UV_VERSION := 0.13.9

export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell $(PYTHON) -c "import sys; print(sys.executable)")

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
RUN := $(UV) run --frozen --no-sync

.PHONY: test lint typecheck unit test-floor test-airflow test-distributed docs bench demo dist install clean

test: install lint typecheck unit

install: $(VENV)/.synced

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml sandbox/pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet
	touch $@

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install
	$(RUN) mypy

unit: install
	$(RUN) pytest -q

# The suite against the oldest Airflow this provider declares (pyproject: apache-airflow>=$(FLOOR_AIRFLOW)),
# with the sandbox (sandbox/, the workspace's second distribution) installed editable beside the provider.
# The docs' snippet DAGs (tests/snippets) run on the current Airflow only (make test): the features they show
# are tested here by tests/integration and tests/examples, and they would add ~7 minutes to CI.
test-floor: | $(UV)
	$(UV) venv --quiet --allow-existing .venv-floor
	$(UV) pip install --quiet --python .venv-floor --exclude-newer $(FLOOR_DATE) \
		"apache-airflow==$(FLOOR_AIRFLOW)" -e . -e ./sandbox pytest requests-mock apache-airflow-providers-sqlite
	.venv-floor/bin/python -c "import airflow; assert airflow.__version__ == '$(FLOOR_AIRFLOW)', airflow.__version__"
	.venv-floor/bin/python -m pytest -q --ignore=tests/snippets

# The example DAGs under a real api-server, scheduler, dag-processor and triggerer (tests/airflow_e2e).
test-airflow: install
	$(RUN) pytest -q -m airflow_e2e tests/airflow_e2e

# The multi-host proof (tests/distributed; docs/multi-host.md): Postgres and Redis from the OS packages,
# installed if missing (as root, with apt; RUNLEVEL=1 keeps the packages from starting their own servers), and
# the CeleryExecutor in .venv-dist (the `distributed` dependency group), apart from .venv.
test-distributed: | $(UV)
	@if ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends \
			postgresql redis-server; \
	fi
	UV_PROJECT_ENVIRONMENT=.venv-dist $(UV) sync --frozen --quiet --group distributed
	.venv-dist/bin/python -m pytest -q -s -p no:cacheprovider -m distributed tests/distributed

# The docs site (docs/, Sphinx with MyST pages) into docs/_build/html, warnings as errors; then tests/docs: every
# internal link resolves, and the start page, the search and a guide render in headless Chromium (installed from
# the OS packages if missing, as root, with apt).
docs: install
	@if ! command -v chromium >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	fi
	rm -rf docs/_build
	AIRFLOW_HOME=$(CURDIR)/.docs-airflow $(RUN) sphinx-build -W --keep-going -q -b html docs docs/_build/html
	$(RUN) pytest -q -p no:cacheprovider -m docs tests/docs

# bench/campaign.py runs a 200-row campaign at the real 10 requests a minute (about 45 minutes);
# BENCH_CAMPAIGN_RATE_WINDOW=6 runs it ten times faster for a quick check.
bench: install
	$(RUN) python bench/import_cost.py
	$(RUN) python bench/legitmailer_scale.py
	$(RUN) python bench/sensor_fleet.py
	$(RUN) python bench/evidence_archive.py
	$(RUN) python bench/lost_sends.py
	$(RUN) python bench/shared_budget.py
	$(RUN) python bench/budget_model.py
	$(RUN) python bench/answer_bounds.py
	$(RUN) python bench/mail_merge.py
	$(RUN) python bench/campaign.py

# The hook tour against the sandbox, then every example DAG with `airflow dags test` on a throwaway Airflow
# home in .demo/ (docs/examples.md). Exits non-zero if any example DAG fails.
demo: install
	AIRFLOW_HOME=$(CURDIR)/.demo/airflow $(RUN) python -m demo.tour
	$(RUN) python -m demo.examples

# The wheels and the sdists of both distributions into dist/ (dist/airflow_provider_legallymail-<version>-py3-
# none-any.whl, dist/legallymail_sandbox-<version>-py3-none-any.whl, and their .tar.gz). Each wheel is built from
# its sdist, so a file missing from an sdist breaks its wheel here, not at a user's.
dist: | $(UV)
	rm -rf dist
	$(UV) build --all-packages --out-dir dist

clean:
	rm -rf .venv .venv-floor .venv-dist .tools .mypy_cache .ruff_cache .pytest_cache dist docs/_build .docs-airflow
