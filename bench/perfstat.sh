#!/usr/bin/env bash
# Runs the server under `perf stat -e task-clock` for bench_load:
#   BIN=build-bench/bin/switchboard OUT=stat.txt \
#     build-bench/bin/bench_load --server=bench/perfstat.sh --only=fanout
# Starts $BIN with the bench's arguments, attaches perf stat to it, and
# forwards the bench's SIGTERM so that perf writes $OUT when it ends.
"$BIN" "$@" &
srv=$!
perf stat -e instructions:u,task-clock -x, -o "$OUT" -p $srv &
pst=$!
trap 'kill -TERM $srv' TERM INT
wait $srv
wait $srv
sleep 0.2
kill -INT $pst 2>/dev/null
wait $pst
