#!/usr/bin/env bash
# Regenerates the screenshots of docs/web.md (docs/img/*.png): builds the web
# app, starts the real server over a copy of demo-workspace (through the
# browser tests' harness) and takes them in headless chromium. Needs the
# server binary (build/bin/switchboard, or SWITCHBOARD_BINARY) and chromium
# (/usr/bin/chromium, or CHROMIUM_PATH); SCREENSHOTS_DIR writes elsewhere.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [[ ! -f node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npx vite build >/dev/null
exec npx vite-node tests/e2e/screenshots.ts
