# Speedboard. `make run` serves the API with a local CPU worker; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run worker worker-gpu test services install benchmark int8-benchmark chart-benchmark trust-benchmark sweep-benchmark health-benchmark registry catalog clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Speedboard needs Python 3.11 or newer (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "Python's venv module is missing: on Debian/Ubuntu run: apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[cpu,test]'
	@touch $@

install: $(STAMP)

run: $(STAMP)
	HOST=$(HOST) PORT=$(PORT) $(PY) -m shared.commands.supervisor run

worker: $(STAMP)
	$(PY) -m shared.commands.supervisor worker

worker-gpu: $(VENV)/.installed-gpu
	$(PY) -m shared.commands.supervisor worker --backend gpu

$(VENV)/.installed-gpu: $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[gpu]'
	@touch $@

services: $(STAMP)
	@PY=$(PY) bash scripts/ensure_services.sh

test: $(STAMP) services
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest

benchmark: $(STAMP)
	$(PY) benchmarks/cpu_vs_benchmark_app.py

# The INT8 figures: four models at the default precision, fp32 and int8 (random calibration), each against benchmark_app.
int8-benchmark: $(STAMP)
	$(PY) benchmarks/cpu_vs_benchmark_app.py --models resnet50 mobilenetv3_large_100 levit_256 convnext_tiny \
		--precisions auto fp32 int8

chart-benchmark: $(STAMP) services
	$(PY) benchmarks/chart_latency.py

trust-benchmark: $(STAMP)
	$(PY) benchmarks/seed_repeats.py

sweep-benchmark: $(STAMP)
	$(PY) benchmarks/sweep_budget.py

# /health p50/p99 while the abuse cases (benchmarks/abuse.py) hit a real stack with tokens on.
health-benchmark: $(STAMP)
	$(PY) benchmarks/health_under_abuse.py

registry: $(STAMP)
	$(PY) -m shared.ml.build_registry

catalog: $(STAMP)
	@test -n "$(CSV)" || { echo "usage: make catalog CSV=path/to/results-imagenet.csv (timm's results/results-imagenet.csv)"; exit 1; }
	$(PY) -m shared.ml.build_accuracy_catalog $(CSV)

clean:
	rm -rf $(VENV) data test-output
