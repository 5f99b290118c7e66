# s3seal — `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.deps-stamp
BENCH_STAMP := $(VENV)/.bench-stamp

.PHONY: help dev demo test test-rust test-python lint fmt typecheck servers sink bench bench-quick clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "maturin>=1.9,<2" "pytest>=8" "boto3==1.43.11" "botocore==1.43.11" \
		python-dotenv "ruff>=0.8" "mypy>=1.13" matplotlib trustme "hypothesis>=6.100" \
		"awscli==1.45.11" "aiobotocore==3.9.0" uvloop aiofiles "dask[distributed]" requests
	touch $(STAMP)

dev: $(STAMP) ## Build s3seal (release) into .venv
	$(VENV)/bin/maturin develop --release -q

servers: $(STAMP) ## Install the test servers (ministack; Garage is built once, ~18 min)
	$(PY) tools/servers.py install

demo: dev ## The main job: SSE-C / SSE-KMS / SSE-S3 round trips against a local ministack
	$(PY) tools/demo.py

test: lint test-rust test-python ## Everything: lint, cargo test, the pytest suite on real servers

test-rust: ## Unit tests of the pure-Rust logic
	cargo test --release --quiet

test-python: dev servers ## The pytest suite against ministack and Garage
	$(PY) -m pytest -q

lint: dev ## cargo fmt, clippy -D warnings, ruff, mypy, stubtest
	cargo fmt --check
	cargo clippy --release --all-targets -- -D warnings
	cargo fmt --check --manifest-path benches/sink/Cargo.toml
	cargo clippy --release --quiet --manifest-path benches/sink/Cargo.toml --target-dir benches/sink/target -- -D warnings
	$(VENV)/bin/ruff check python tests tools benches
	$(VENV)/bin/ruff format --check python tests tools benches
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest s3seal._native --allowlist stubtest-allowlist.txt

fmt: $(STAMP) ## Format Rust and Python
	cargo fmt
	cargo fmt --manifest-path benches/sink/Cargo.toml
	$(VENV)/bin/ruff format python tests tools benches
	$(VENV)/bin/ruff check --fix python tests tools benches

$(BENCH_STAMP): $(STAMP)
	$(PIP) install -q "obstore==0.12.1"
	# aioboto3 pins an older botocore than ours: its own venv, for the async group (benches/async_cases.py)
	python3 -m venv $(VENV)/aioboto3 && $(VENV)/aioboto3/bin/pip install -q "aioboto3==15.5.0"
	touch $(BENCH_STAMP)

sink: ## Build the benchmark's sink endpoint (benches/sink, a measuring instrument, not a test server)
	cargo build --release --quiet --manifest-path benches/sink/Cargo.toml --target-dir benches/sink/target

bench: dev servers sink $(BENCH_STAMP) ## The benchmark suite (about an hour): writes benches/results/latest.{md,png}
	$(PY) benches/run.py

bench-quick: dev servers sink $(BENCH_STAMP) ## The suite in quick mode (< 2 min, a smoke test): quick.{md,png}
	$(PY) benches/run.py --quick

clean: ## Remove build products and the virtualenv
	cargo clean
	rm -rf $(VENV)
