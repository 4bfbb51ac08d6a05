#!/usr/bin/env bash
# Builds Switchboard and its web UI and serves them on http://127.0.0.1:8080
# with the demo workspace. Extra arguments go to the server, e.g. --port=9000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh switchboard switchboard-cli
# The web UI (web/dist, served at /); output only when a step fails.
log="$(mktemp)"
if ! (
  cd web
  if [[ ! -f node_modules/.package-lock.json \
        || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
  npm run build
) >"$log" 2>&1; then
  cat "$log"
  rm -f "$log"
  exit 1
fi
rm -f "$log"
exec build/bin/switchboard "$@"
