# The two commands a newcomer needs: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Most of the suite waits on sockets, subprocesses and timers rather than the CPU: four workers per
# backend keep both cores busy.
WORKERS ?= 4

.PHONY: run test check lint setup clean postgres

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

# The suite runs twice at once, on SQLite and on a PostgreSQL server it starts itself (tests/pg.py);
# each run's output is shown when both are done.
test: $(STAMP) postgres
	$(BIN)/ruff check .
	$(BIN)/python -m bot.content check
	@mkdir -p .test-logs
	@( $(BIN)/python -m pytest -q -n $(WORKERS) --durations=10 -p no:cacheprovider > .test-logs/sqlite.log 2>&1; \
		echo $$? > .test-logs/sqlite.rc ) & \
	$(BIN)/python -m pytest -q -n $(WORKERS) --durations=10 -p no:cacheprovider --backend postgresql \
		> .test-logs/postgresql.log 2>&1; echo $$? > .test-logs/postgresql.rc; wait; \
	for b in sqlite postgresql; do echo "=== tests on $$b"; cat .test-logs/$$b.log; done; \
	exit $$(( $$(cat .test-logs/sqlite.rc) || $$(cat .test-logs/postgresql.rc) ))

# PostgreSQL's server programs for the tests: Debian's package when they are missing (root, or sudo).
postgres:
	@$(PYTHON) -c "import sys; sys.path.insert(0, 'tests'); import pg; sys.exit(pg.bindir() is None)" || \
		{ echo "installing PostgreSQL (Debian package) for the tests"; \
		  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) \
		  apt-get install -y -qq --no-install-recommends postgresql > /dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .

check: $(STAMP)
	$(BIN)/python -m bot.content check

clean:
	rm -rf $(VENV) .pytest_cache .test-logs
