PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zopa run scenarios/december-2022.yaml --runs 5000 --seed 2022 --out results/december-2022 --force
	@echo
	@echo "zopa is installed in $(VENV)/. To type the zopa commands of the README and docs/tutorial.md,"
	@echo "put it on your path first (in each new shell):"
	@echo
	@echo "    source $(VENV)/bin/activate"

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/sweep.py
	$(BIN)/python benchmarks/why.py
	$(BIN)/python benchmarks/outcome_kinds.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) results
