# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean-venv

$(STAMP): pyproject.toml scripts/install.sh
	$(PYTHON) -m venv $(VENV)
	# One install recipe for the Makefile and deploy/Dockerfile (CPU torch pinned, see the script).
	bash scripts/install.sh $(PY) test
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) server.py serve

# Two pytest workers (pytest-xdist), a test file at a time each: every worker has its own
# database, Redis prefix and ports, so files never share state. PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2
test: lint
	bash scripts/test-setup.sh
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# ruff, then mypy with the [tool.mypy] settings of pyproject.toml (its cache makes reruns quick).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	bash scripts/install.sh $(PY) bench  # matplotlib for the plots
	$(PY) bench/matching.py

# Realtime fan-out (ours vs bare python-socketio vs Node socket.io) and idle connections; needs
# MariaDB, Redis and Node.js/npm (bench/node is npm-installed on first use). ~15 minutes.
.PHONY: bench-realtime
bench-realtime: $(STAMP)
	bash scripts/install.sh $(PY) bench  # matplotlib for the plots
	bash scripts/ensure-services.sh
	$(PY) bench/fanout.py --json bench/results/fanout.json
	$(PY) bench/connections.py --json bench/results/connections.json
	$(PY) bench/plot_realtime.py
