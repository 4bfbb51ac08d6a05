#!/usr/bin/env bash
# Runs every curl example of docs/protocol.md's "HTTP API" block against a
# real server, so that the documentation stays true.
set -euo pipefail
binary="$1"
doc="$2"
workspace="$3"

out=$(mktemp)
data=$(mktemp -d)
"$binary" --port=0 --workspace="$workspace" --data-dir="$data" >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$out" "$data"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$out" && break
  sleep 0.1
done
SB=$(sed -n 's/^listening on //p' "$out")
[[ -n "$SB" ]] || { echo "server did not start"; exit 1; }
export SB

# A task that waits for input, so that the input example has a request.
TASK=$(curl -sf -X POST "$SB/api/tasks" -H 'Content-Type: application/json' \
  -d '{"task":"triage","params":{"min_severity":"low"}}' \
  | sed -n 's/.*"task_id":"\([^"]*\)".*/\1/p')
export TASK
for _ in $(seq 100); do
  curl -sf "$SB/api/tasks/$TASK" | grep -q '"pending_input":{' && break
  sleep 0.05
done

# Extract the commands (joining continued lines) from the sh block after
# the "## HTTP API" heading.
commands=$(awk '/^## HTTP API/{h=1} h&&/^```sh/{b=1;next} b&&/^```/{exit} b' "$doc" \
  | sed -e 's/[[:space:]]*$//' | awk '/^#/{next} {if (sub(/\\$/,"")) {printf "%s", $0} else print}')
count=0
while IFS= read -r cmd; do
  [[ -z "$cmd" ]] && continue
  # The SSE example runs until the task ends; stop the task first.
  if [[ "$cmd" == *"/events"* ]]; then
    curl -sf -X POST "$SB/api/tasks/$TASK/stop" >/dev/null
  fi
  if ! output=$(eval "timeout 10 $cmd"); then
    echo "FAILED: $cmd"
    exit 1
  fi
  if [[ "$output" == *'"type":"error"'* ]]; then
    echo "ERROR ANSWER: $cmd -> $output"
    exit 1
  fi
  count=$((count + 1))
done <<<"$commands"
[[ $count -ge 10 ]] || { echo "only $count examples found"; exit 1; }
echo "$count curl examples passed"
