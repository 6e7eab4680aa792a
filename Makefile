# Two commands on a fresh machine with only Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
EMBEDDED := DEBUG=1

.PHONY: proof proof-chaos proof-load run demo test test-fast setup migrate lint format check migrations-check messages bench clean

# Says what it does while it does it: the first install takes a minute or two.
$(STAMP): requirements.txt requirements-dev.txt
	@echo "==> Creating the Python environment in $(VENV)/ (once, and again when a requirements file changes)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> Updating pip"
	$(BIN)/python -m pip install -q --upgrade pip
	@echo "==> Installing the packages of requirements-dev.txt (a minute or two the first time; pip names each package as it comes)"
	$(BIN)/python -m pip install --progress-bar off -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)
	@echo "==> Python environment ready"

setup: $(STAMP)

run: setup
	@echo "==> Creating or updating the database (db.sqlite3)"
	$(EMBEDDED) $(BIN)/python manage.py migrate --noinput
	@echo "==> Compiling the translations"
	$(EMBEDDED) $(BIN)/python manage.py compile_catalogs
	@echo "==> Seeding the demo county if the database is empty (under a minute; each step is printed)"
	$(EMBEDDED) $(BIN)/python manage.py seed_demo --if-empty
	@echo "Canvass is serving at http://127.0.0.1:8000/ (Ctrl-C stops it)"
	$(EMBEDDED) $(BIN)/python manage.py runserver 127.0.0.1:8000

# The demo database again from nothing, dated from today, without reinstalling anything:
# empties the database (refused if it holds a campaign other than the demo's) and seeds it.
demo: setup
	@echo "==> Creating or updating the database (db.sqlite3)"
	$(EMBEDDED) $(BIN)/python manage.py migrate --noinput
	@echo "==> Emptying the database and seeding the demo county again, with today's dates"
	$(EMBEDDED) $(BIN)/python manage.py seed_demo --reset
	@echo "Done: 'make run' serves it."

# The whole suite on every core (pytest-xdist; tests/conftest.py hands out a file at a time).
test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15 $(PYTEST_ARGS)

TEST_WORKERS ?= auto

# The developer's loop: one process, the test database kept between runs (on SQLite in a
# file under .venv/). `make test-fast T=tests/campaign/test_scoping.py`, or `T="-k box"`.
T ?= tests
test-fast: setup
	CANVASS_TEST_DB_FILE=$(abspath $(VENV))/test-db.sqlite3 $(BIN)/python -m pytest --reuse-db -n 0 $(T)

# The proof suite (issue 11 §5): sweeps, fuzzing and journeys, too long for `make test`.
# The chaos and load benches have their own targets (bench/README.md).
proof: setup
	$(BIN)/python -m pytest -m proof -n $(TEST_WORKERS) $(PYTEST_ARGS) tests/proof

# The chaos proof of the ledger (bench/README.md): a real worker killed 50 times and
# Redis flushed 5 times while 10,000 opinions are written; then 0 drift. PostgreSQL and a
# Redis database no other worker uses. Smaller: CHAOS_OPINIONS=1000 CHAOS_KILLS=10 make proof-chaos
PROOF_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/canvass_bench
PROOF_BROKER_URL ?= redis://127.0.0.1:6379/2
proof-chaos: setup
	DATABASE_URL=$(PROOF_DATABASE_URL) CELERY_BROKER_URL=$(PROOF_BROKER_URL) $(BIN)/python bench/chaos_ledger.py

# The load bench (bench/README.md): gunicorn on loopback, the box and the ledger page at
# 1, 8 and 32 clients against bare views. Shorter: LOAD_SECONDS=3 LOAD_LEVELS=1,8 make proof-load
proof-load: setup
	DATABASE_URL=$(PROOF_DATABASE_URL) $(BIN)/python bench/load.py

# mypy checks the files pyproject's [tool.mypy] names (campaign, core, reports) and what
# they import; the other apps join that list as they are typed.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(EMBEDDED) $(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: setup
	$(EMBEDDED) $(BIN)/python manage.py makemigrations --check --dry-run

# English is the source language (every msgid is the English text), so only zh_Hans has
# a catalogue. tests/test_catalogues.py runs makemessages with the same options.
MESSAGES_OPTS := -l zh_Hans --no-location --ignore=.venv --ignore=tests --ignore=bench --ignore=staticfiles --ignore=static/vendor
messages:
	$(EMBEDDED) $(BIN)/python manage.py makemessages $(MESSAGES_OPTS)
	$(EMBEDDED) $(BIN)/python manage.py makemessages -d djangojs $(MESSAGES_OPTS)
	$(EMBEDDED) $(BIN)/python manage.py compile_catalogs

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
