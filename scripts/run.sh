#!/usr/bin/env bash
# Builds Switchboard and serves it on http://127.0.0.1:8080 with the demo
# workspace. Extra arguments go to the server, e.g. --port=9000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh switchboard
exec build/bin/switchboard "$@"
