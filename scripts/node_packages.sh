#!/usr/bin/env bash
# Front-end packages for the staff app (nhsuk-frontend), pinned in package-lock.json and
# installed into node_modules/ (gitignored) with `npm ci`, only when the lock file changed.
# Called by scripts/setup.sh; on failure prints one line saying what to do.
set -euo pipefail
cd "$(dirname "$0")/.."

LOG=var/log/setup.log
STAMP=node_modules/.package-lock.sha256
mkdir -p var/log

fail() {
  echo "make: $1" >&2
  exit 1
}

wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 ||
  fail "npm not found: the staff app's styles (nhsuk-frontend) are installed with npm; install Node.js 20 or later with npm (e.g. 'apt-get install nodejs npm') and retry."
echo "setup: installing front-end packages (npm ci)..."
npm ci --no-audit --no-fund >>"$LOG" 2>&1 ||
  fail "npm ci failed (last lines of $LOG: $(tail -n 2 "$LOG" | tr '\n' ' ')); check access to the npm registry and retry."
echo "$wanted" >"$STAMP"
