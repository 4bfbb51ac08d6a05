#!/usr/bin/env bash
# Installs the dependencies, builds everything and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
(cd build && ctest --output-on-failure -j2 --timeout 300)
# The flows SDK as a user meets it (issue 16): installed, an out-of-tree
# plugin built against it and run end to end (about 7 s).
bash scripts/example-flows.sh build

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

# -- reliability (issue 4): the C++ suite under ASan+UBSan, brief fuzzing ------
# Any sanitizer report (tests or the servers they start) fails the run: the
# reports go to build-asan/sanitizer-logs/ and are printed here.
cd ..
if [[ ! -f build-asan/build.ninja ]]; then
  cmake -S . -B build-asan -G Ninja -DSWITCHBOARD_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
fi
ninja -C build-asan -j"$(nproc)" switchboard unit_tests actor_tests \
  transport_tests integration_tests switchboard-cli cli_tests
logs="$PWD/build-asan/sanitizer-logs"
rm -rf "$logs" && mkdir -p "$logs"
if ! ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$logs/asan" \
    LSAN_OPTIONS="suppressions=$PWD/config/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan:suppressions=$PWD/config/ubsan.supp" \
    bash -c 'cd build-asan && ctest --output-on-failure -j2 --timeout 300 \
               -R "^(unit|actors|transport|integration|cli):"'; then
  cat "$logs"/* 2>/dev/null || true
  exit 1
fi
if compgen -G "$logs/*" >/dev/null; then
  echo "sanitizer reports:" >&2
  cat "$logs"/* >&2
  exit 1
fi
# Both cores: the fuzz targets are a third build of the sources.
FUZZ_JOBS="$(nproc)" bash scripts/fuzz.sh 20
