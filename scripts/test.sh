#!/usr/bin/env bash
# Installs the dependencies, builds everything and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
(cd build && ctest --output-on-failure -j2 --timeout 300)

# -- the web UI: install, build, unit tests, browser tests -------------------
# Quiet on success: each step's output is shown only when it fails.
quietly() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    rm -f "$log"
    return 1
  fi
  grep -E '^ +Tests +[0-9]' "$log" | sed "s/^ */web: $3: /" || true
  rm -f "$log"
}
cd web
if [[ ! -f node_modules/.package-lock.json \
      || package-lock.json -nt node_modules/.package-lock.json ]]; then
  quietly npm ci --no-audit --no-fund
fi
quietly npm run build
quietly npm run test
quietly npm run test:e2e
