# make install: everything from nothing (system packages, .venv, offline model)
# make test:    the checks (ruff, mypy, vermin) and the whole test suite (real models, real media, local test servers)
# make test-fast: unit and property tests only (no Whisper model, no encode), in parallel: under 30 s on 2 cores
# make bench:   speed and memory, measured side by side in one run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install system venv models check test test-fast bench sample vendor clean

install: system venv models

system:
	tools/install-system-deps.sh

venv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU build of PyTorch; an unpinned torch would pull several GB of CUDA packages
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,cluster]'

models:
	$(BIN)/bivideo models --prepare base

check:
	$(BIN)/ruff check bivideo tests tools
	$(BIN)/mypy
	$(BIN)/vermin -t=3.10- --no-tips --violations --eval-annotations bivideo tests tools

# in a network namespace with only loopback (tools/loopback-only): the tests reach 127.0.0.1 alone
test: check
	tools/loopback-only $(BIN)/python -m pytest -q -ra

# in parallel (pytest-xdist), a worker per core up to 4: each worker has its own session cache,
# and pays about 6 s to start (imports, collection, jieba's dictionary), so more would gain little
test-fast:
	tools/loopback-only $(BIN)/python -m pytest -q -m "not slow" -n auto --maxprocesses=4

bench:
	$(BIN)/python tools/bench.py
	$(BIN)/python tools/encoder_bench.py
	$(BIN)/python tools/bench_edit.py
	$(BIN)/python tools/batch_bench.py
	$(BIN)/python tools/cluster_bench.py
	$(BIN)/python tools/segmentation_report.py
	$(BIN)/python tools/sync_bench.py
	$(BIN)/python tools/bench_highlight.py
	$(BIN)/python tools/model_speed.py
	tools/loopback-only $(BIN)/python tools/studio_bench.py
	tools/loopback-only $(BIN)/python tools/overlay_agreement.py

sample:
	samples/make_sample.sh

vendor:
	tools/vendor-web.sh

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
