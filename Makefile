# Two commands: `make demo` runs escflow on the flows in flows/, `make test` runs every check.
# Both create the virtual environment and install what is missing, system packages included.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast system clean catalogues

demo: $(STAMP) system
	$(BIN)/escflow validate flows/
	$(BIN)/escflow matrix flows/
	$(BIN)/escflow simulate complaint --start 2026-11-23T10:00+01:00 \
	    --event "+10m asks-for-manager" --event "+20m ack" --until "+5 business days"
	$(BIN)/escflow simulate helpdesk --priority critical --start 2026-11-27T16:30+01:00 \
	    --event "+20m ack" --until "+2 business days"
	$(BIN)/escflow simulate it-project --start 2026-11-23T09:00+01:00 --until "+3 business days"
	$(BIN)/escflow render flows/ -o build/diagrams --format svg,png
	@rm -f build/demo.db build/demo.db-wal build/demo.db-shm
	$(BIN)/escflow ticket open complaint --id DEMO-1 --attr customer=ACME --db sqlite:///build/demo.db
	$(BIN)/escflow ticket fire DEMO-1 asks-for-manager --note "customer wants a manager" --db sqlite:///build/demo.db
	$(BIN)/escflow ticket fire DEMO-1 needs-specialist --db sqlite:///build/demo.db
	$(BIN)/escflow worker --once --log-unhandled --db sqlite:///build/demo.db --actions-log build/demo-actions.jsonl
	$(BIN)/escflow ticket history DEMO-1 --db sqlite:///build/demo.db
	$(BIN)/escflow render --ticket DEMO-1 --db sqlite:///build/demo.db -o build/diagrams --format svg,png
	$(BIN)/escflow whatif run scenarios/complaint.yaml --vs scenarios/complaint-longer-l2.yaml
	@rm -f build/history.db build/history.db-wal build/history.db-shm
	$(BIN)/escflow demo-history --db sqlite:///build/history.db --start 2026-11-02T00:00Z --days 30
	$(BIN)/escflow report --db sqlite:///build/history.db --until 2026-12-02T00:00Z --flow complaint
	$(BIN)/escflow report --db sqlite:///build/history.db --until 2026-12-02T00:00Z --format html -o build/report.html

test: $(STAMP) system
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src tests bench
	$(BIN)/pytest

# A developer's quick loop: the checks and every test but the slow ones (tests/conftest.py).
test-fast: $(STAMP) system
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src tests bench
	$(BIN)/pytest -m "not slow"

# After adding or changing a message escflow writes: the template, and each language's
# catalogue brought up to it (new messages empty, for a translator to fill).
catalogues: $(STAMP)
	$(BIN)/python -c "from escflow._i18n import update_catalogues; update_catalogues()"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,xlsx,serve,report,bench]'
	touch $@

system:
	@bash scripts/system-packages

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
