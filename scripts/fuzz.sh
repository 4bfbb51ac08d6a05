#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of issue 4 (see docs/reliability.md).
#
#   bash scripts/fuzz.sh [seconds]      # each target runs this long (60)
#
# Configures build-fuzz/ with clang++ and -DSWITCHBOARD_FUZZ=ON, builds
# decoder_fuzz and http_fuzz (ASan+UBSan+libFuzzer), then runs each on a
# working corpus seeded from fuzz/corpus/<target>/. A crash, leak, sanitizer
# report or timeout stops the run with status 1 and leaves the reproducer in
# build-fuzz/artifacts/ (rerun it with build-fuzz/bin/<target> <file>).
# FUZZ_JOBS sets ninja's -j (default 1).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
seconds="${1:-60}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DSWITCHBOARD_FUZZ=ON >/dev/null
fi
nice ninja -C "$build" -j"${FUZZ_JOBS:-1}" decoder_fuzz http_fuzz >/dev/null

mkdir -p "$build/artifacts"
status=0
for target in decoder_fuzz http_fuzz; do
  seeds="$root/fuzz/corpus/${target%_fuzz}"
  work="$build/corpus/${target%_fuzz}"
  mkdir -p "$work"
  log="$build/$target.log"
  # -max_len: HTTP needs room for a header block; frames stay small so the
  # fuzzer explores structure rather than size (the limits are fuzzed with
  # tight values inside the targets).
  if ASAN_OPTIONS=detect_leaks=1 \
      UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/config/ubsan.supp" \
      "$build/bin/$target" "$work" "$seeds" \
      -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
      >"$log" 2>&1; then
    execs="$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
    cov="$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*' || true)"
    echo "fuzz: $target: ${seconds}s, ${execs:-?} runs, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) files, no findings"
  else
    echo "fuzz: $target FAILED (log: $log)" >&2
    tail -n 60 "$log" >&2
    status=1
  fi
done
exit "$status"
