# Two entry points that work on a fresh machine with only python3 and make.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

DEMO_STORE := build/demo.duckdb
DEMO_DATA := build/demo-data
DEMO_PORT ?= 8000

demo: $(STAMP)
	$(BIN)/animato validate examples/retail
	$(BIN)/animato sheet examples/retail --out build/sheet
	$(BIN)/animato demo-data $(DEMO_DATA) --customers 10000 --years 2 --end 2026-02-01
	rm -f $(DEMO_STORE)
	for kind in customers consents events; do \
	  $(BIN)/animato ingest $$kind $(DEMO_DATA)/$$kind.parquet --plan examples/retail \
	    --store $(DEMO_STORE) || exit 1; \
	done
	$(BIN)/animato run examples/retail --store $(DEMO_STORE) \
	  --now 2026-01-01T23:00 --until 2026-01-31T23:00
	rm -rf build/mail $(DEMO_STORE).files $(DEMO_STORE).delivery.log
	$(BIN)/animato simulate examples/retail --store $(DEMO_STORE) \
	  --from 2025-11-30T23:00 --to 2025-12-31T23:00
	$(BIN)/animato report examples/retail --store $(DEMO_STORE) --out build/report \
	  --from 2025-12-31T23:00 --to 2026-02-01T00:00
	$(BIN)/animato demo-check examples/retail --store $(DEMO_STORE) \
	  --from 2025-12-31T23:00 --to 2026-02-01T00:00
	$(BIN)/animato consent ML000000003 --plan examples/retail --store $(DEMO_STORE)
	$(BIN)/animato privacy export ML000000003 --out build/privacy/ML000000003.json \
	  --plan examples/retail --store $(DEMO_STORE)
	$(BIN)/animato user demo --role operator --password demo --store $(DEMO_STORE)
	@echo ""
	@echo "Scenario sheets: build/sheet/index.html. Store: $(DEMO_STORE)."
	@echo "Simulation of December 2025: $(DEMO_STORE).simulation/report.html."
	@echo "KPI report of January 2026 (incrementality, Pareto, A/B, scores): build/report/report.html."
	@echo "What animato holds about customer ML000000003: build/privacy/ML000000003.json."
	@echo "Now serving the dashboard at http://127.0.0.1:$(DEMO_PORT)/ - sign in as demo, password demo."
	@echo "Its clock starts on 3 January 2026: it delivers the first day's emails to a local SMTP"
	@echo "sink, build/mail/*.eml, whose links work while it runs. Ctrl-C stops it."
	$(BIN)/animato serve examples/retail --store $(DEMO_STORE) --port $(DEMO_PORT) \
	  --now 2026-01-03T00:00 --tick-every 0 --purge-every 0 --sink build/mail

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) build
