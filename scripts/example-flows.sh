#!/usr/bin/env bash
# The flows SDK end to end, as a user meets it: installs the SDK from the
# build directory into a temporary prefix, builds examples/flows against it
# out of tree, starts the installed server with --flows= the example and runs
# its `licenses` kind over HTTP (start, events as SSE, answers to its input
# requests), checking the report. Needs `build/` built (bin/switchboard).
#   bash scripts/example-flows.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
tmp=$(mktemp -d)
pid=""
sse=""
cleanup() {
  [[ -n "$sse" ]] && kill "$sse" 2>/dev/null || true
  [[ -n "$pid" ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "example-flows: $*" >&2
  [[ -f "$tmp/server.log" ]] && cat "$tmp/server.log" >&2
  [[ -f "$tmp/events" ]] && cat "$tmp/events" >&2
  exit 1
}

# 1. The SDK, installed as a user would.
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null

# 2. The example, configured and built against it (not against the sources).
cmake -S examples/flows -B "$tmp/example" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >/dev/null || fail "configure failed"
cmake --build "$tmp/example" >/dev/null || fail "build failed"
plugin="$tmp/example/licenses.so"
[[ -f "$plugin" ]] || fail "no $plugin"

# 3. A workspace with three manifests: one allowed, two to approve.
ws="$tmp/workspace"
mkdir -p "$ws/web" "$ws/engine" "$ws/tools"
echo '{"name":"web","license":"MIT"}' >"$ws/web/package.json"
printf '[package]\nname = "engine"\nlicense = "GPL-3.0"\n' >"$ws/engine/Cargo.toml"
printf '[project]\nname = "tools"\n' >"$ws/tools/pyproject.toml"

# 4. The installed server with the plugin.
"$tmp/prefix/bin/switchboard" --port=0 --history=memory --workspace="$ws" \
  --flows="$plugin" >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$tmp/server.log" && break
  kill -0 "$pid" 2>/dev/null || fail "the server did not start"
  sleep 0.1
done
SB=$(sed -n 's/^listening on //p' "$tmp/server.log")
[[ -n "$SB" ]] || fail "the server did not start"
curl -sf "$SB/api/kinds" | grep -q '"name":"licenses"' ||
  fail "licenses is not listed"

# 5. Start the kind, follow its events, answer its questions.
TASK=$(curl -sf -X POST "$SB/api/tasks" -H 'Content-Type: application/json' \
  -d '{"task":"licenses","params":{}}' |
  sed -n 's/.*"task_id":"\([^"]*\)".*/\1/p')
[[ -n "$TASK" ]] || fail "start failed"
curl -sfN "$SB/api/tasks/$TASK/events" >"$tmp/events" &
sse=$!
answered=0
for _ in $(seq 200); do
  grep -q '^event: result' "$tmp/events" && break
  grep -q '^event: \(error\|stopped\)' "$tmp/events" && fail "the task failed"
  # Each question once, in order: the GPL engine is rejected, the rest
  # approved.
  mapfile -t asked < <(grep '"type":"input_request"' "$tmp/events" || true)
  if ((${#asked[@]} > answered)); then
    line="${asked[$answered]}"
    rid=$(sed -n 's/.*"request_id":"\([^"]*\)".*/\1/p' <<<"$line")
    value='"approve"'
    [[ "$line" == *GPL-3.0* ]] && value='"reject"'
    curl -sf -X POST "$SB/api/tasks/$TASK/input" \
      -H 'Content-Type: application/json' \
      -d "{\"request_id\":\"$rid\",\"value\":$value}" >/dev/null ||
      fail "input failed"
    answered=$((answered + 1))
  fi
  sleep 0.05
done
wait "$sse" || true
sse=""
result=$(grep '"type":"result"' "$tmp/events") || fail "no result"
((answered == 2)) || fail "expected 2 questions, answered $answered"
grep -c '"type":"progress"' "$tmp/events" | grep -qx '[4-9]' ||
  fail "expected a progress event per manifest"
for want in '"path":"web/package.json","license":"MIT","verdict":"allowed"' \
  '"path":"engine/Cargo.toml","license":"GPL-3.0","verdict":"rejected"' \
  '"path":"tools/pyproject.toml","license":"","verdict":"approved"' \
  '"approved":1,"rejected":1'; do
  [[ "$result" == *"$want"* ]] || fail "the report lacks $want: $result"
done
echo "example-flows: licenses ran end to end (built out of tree against" \
  "the installed SDK, loaded with --flows, 2 answers over HTTP)"
