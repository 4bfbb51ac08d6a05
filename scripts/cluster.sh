#!/usr/bin/env bash
# Builds Switchboard and starts a three-node cluster on loopback from
# config/cluster/{a,b,c}.conf; prints each node's URL, and stops all three
# on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh switchboard >/dev/null
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for n in a b c; do
  build/bin/switchboard --config-file="config/cluster/$n.conf" &
  pids+=($!)
  sleep 0.5
done
for n in a b c; do
  port=$(sed -n 's/^port = //p' "config/cluster/$n.conf")
  echo "node $n: http://127.0.0.1:$port"
done
wait
