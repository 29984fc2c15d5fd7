# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) src/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv migrate demo serve worker lint typecheck contracts schema schema-check messages messages-compiled browser-test bench load clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

migrate: venv
	mkdir -p var
	$(MANAGE) migrate --noinput

# English needs the compiled catalogue; without gettext's msgfmt the pages stay Vietnamese.
messages-compiled: venv
	@if command -v msgfmt >/dev/null; then $(MANAGE) compilemessages --ignore=.venv >/dev/null; \
	else echo "note: gettext (msgfmt) is not installed; English translations are not compiled"; fi

# The demo: organisation, personas (officers and citizens), catalogue, a demo CA with a signing
# certificate per agency (var/pki), and the demo citizen's past counter dossier.
demo: migrate messages-compiled
	$(MANAGE) load_demo
	$(MANAGE) pki_demo
	$(MANAGE) load_demo_history
	$(MANAGE) load_demo_activity
	$(MANAGE) seed_index766
	$(MANAGE) close_periods

# Background work. Message delivery: the task worker of MOTCUA_TASKS_BACKEND sends each new
# message as soon as its transaction commits (the immediate backend needs none); the sweep retries failures and
# sends what a lost task left behind. Without a gateway or mail server they land in var/.
# Deadlines: every 5 minutes a sweep task logs the steps and dossiers that went past due.
ifeq ($(MOTCUA_TASKS_BACKEND),rq)
TASK_WORKER := $(MANAGE) rqworker default --job-class django_tasks_rq.Job
else ifeq ($(MOTCUA_TASKS_BACKEND),immediate)
TASK_WORKER := true
else
TASK_WORKER := $(MANAGE) db_worker --no-reload
endif
DELIVERY_SWEEP := $(MANAGE) deliver_messages --loop 60
DEADLINE_SWEEP := $(MANAGE) sweep_deadlines --loop 300
# Near-due and overdue alerts along the escalation rules (supervision), every 5 minutes.
ALERT_SWEEP := $(MANAGE) alerts_sweep --loop 300
# Payments left pending are asked about at the gateway; expired sign-up codes are purged.
PAYMENT_SWEEP := $(MANAGE) payments_sweep --loop 60
CODE_PURGE := $(MANAGE) purge_one_time_codes --loop 3600
# Report periods that ended are closed (their figures counted once for the reports), and the
# running ones counted again for the dashboard, every 5 minutes.
PERIOD_CLOSING := $(MANAGE) close_periods --loop 300

# `make run` stands in for the two outside systems a citizen meets: the payment gateway
# (a local simulator of the VNPAY-style protocol) and the identity provider (a local OpenID
# Connect provider with test identities). Point the MOTCUA_PAYMENT_* / MOTCUA_OIDC_* variables
# at the real ones in production (the local stand-ins then simply go unused).
serve: export MOTCUA_OIDC_ISSUER ?= http://127.0.0.1:8020
serve: export MOTCUA_OIDC_CLIENT_ID ?= motcua-dev
serve: export MOTCUA_OIDC_CLIENT_SECRET ?= dev-oidc-secret
serve: export MOTCUA_PAYMENT_GATEWAY_URL ?= http://127.0.0.1:8010
SITE_URL_DEFAULT := http://$(HOST):$(PORT)

# --insecure: the development server also serves the admin's static files with DEBUG off.
# The background workers run beside the server and stop with it.
serve: venv
	trap 'kill $$tasks $$sweep $$deadlines $$alerts $$payments $$codes $$closing $$gateway $$idp 2>/dev/null' EXIT INT TERM; \
	export MOTCUA_SITE_URL=$${MOTCUA_SITE_URL:-$(SITE_URL_DEFAULT)}; \
	$(TASK_WORKER) & tasks=$$!; \
	$(DELIVERY_SWEEP) & sweep=$$!; \
	$(DEADLINE_SWEEP) & deadlines=$$!; \
	$(ALERT_SWEEP) & alerts=$$!; \
	$(PAYMENT_SWEEP) & payments=$$!; \
	$(CODE_PURGE) & codes=$$!; \
	$(PERIOD_CLOSING) & closing=$$!; \
	$(MANAGE) payment_gateway_simulator --port 8010 --site-url $$MOTCUA_SITE_URL & gateway=$$!; \
	$(MANAGE) fake_oidc_provider --port 8020 --client-id $$MOTCUA_OIDC_CLIENT_ID --client-secret $$MOTCUA_OIDC_CLIENT_SECRET --redirect-uri $$MOTCUA_SITE_URL/dang-nhap/oidc/callback/ & idp=$$!; \
	$(MANAGE) runserver --insecure $(HOST):$(PORT)

# The background workers alone, for a machine that runs the web server some other way.
worker: venv
	trap 'kill $$tasks $$deadlines $$alerts $$payments $$codes $$closing 2>/dev/null' EXIT INT TERM; \
	$(TASK_WORKER) & tasks=$$!; \
	$(DEADLINE_SWEEP) & deadlines=$$!; \
	$(ALERT_SWEEP) & alerts=$$!; \
	$(PAYMENT_SWEEP) & payments=$$!; \
	$(CODE_PURGE) & codes=$$!; \
	$(PERIOD_CLOSING) & closing=$$!; \
	$(DELIVERY_SWEEP)

run: demo serve

test: messages-compiled
	mkdir -p var
	$(PY) -m pytest -q -n 2 -m "not browser and not production"

browser-test: messages-compiled
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -q -m browser

# Python scripts without a .py name are checked when named.
LINTED_SCRIPTS := scripts/backup scripts/restore scripts/restore-drill scripts/backup_common.py
lint: venv
	$(PY) -m ruff check src benchmarks tests $(LINTED_SCRIPTS)
	$(PY) -m ruff format --check src benchmarks tests $(LINTED_SCRIPTS)

typecheck: venv
	$(PY) -m mypy src/motcua

contracts: venv
	cd src && ../$(VENV)/bin/lint-imports --config ../pyproject.toml

schema: venv
	$(MANAGE) spectacular --file docs/openapi.yaml --validate

schema-check: venv
	$(MANAGE) spectacular --file var/openapi.generated.yaml --validate
	diff -u docs/openapi.yaml var/openapi.generated.yaml

messages: venv
	cd src/motcua && ../../$(PY) ../manage.py makemessages -l en --ignore='*/tests/*' --ignore='*/migrations/*'

bench: venv
	$(PY) benchmarks/run.py $(ARGS)

# The mixed load at rising concurrency on PostgreSQL (docs/performance.md, "Mixed load").
load: venv
	$(PY) benchmarks/load.py $(ARGS)

clean:
	rm -rf $(VENV) var
