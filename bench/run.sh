#!/usr/bin/env bash
# Runs the benchmark suite of issue 7 and prints a markdown table.
#
#   bash bench/run.sh [--quick] [--only=floor,latency,cluster,ws,sse,fanout,input,tools,idle,tasks]
#
# Builds switchboard and bench_load in build-bench (Release), then bench_load
# starts its own server instances on 127.0.0.1 with the options it needs and
# runs every scenario with fixed request counts (a few minutes at most).
# Progress goes to stderr, the table to stdout. Set BENCH_BUILD_DIR to use
# another build directory, BENCH_JOBS for ninja's -j (default 1).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BENCH_BUILD_DIR:-$root/build-bench}"
jobs="${BENCH_JOBS:-1}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
fi
nice ninja -C "$build" -j"$jobs" switchboard bench_load >&2

log="$(mktemp /tmp/sb-bench-server-XXXXXX.log)"
echo >&2 "server log: $log"
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
if [[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
  rev="$rev + uncommitted changes"
fi

rc=0
table="$("$build/bin/bench_load" --server="$build/bin/switchboard" \
  --server-log="$log" "$@")" || rc=$?

echo "Machine: $machine"
echo "Date: $started; commit $rev; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Command: bash bench/run.sh $*"
echo
echo "$table"
exit "$rc"
