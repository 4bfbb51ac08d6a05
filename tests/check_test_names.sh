#!/usr/bin/env bash
# Fails when a Catch test name would not survive ctest: catch_discover_tests
# turns each name into a CMake list element, so a ';' splits it into two
# tests that run nothing and pass; ctest also hands the name back to Catch as
# an argument, so a leading '-' reads as an option.
# Usage: check_test_names.sh TEST_BINARY...
set -euo pipefail
bad=0
for bin in "$@"; do
  while IFS= read -r name; do
    if [[ "$name" == *";"* || "$name" == -* ]]; then
      echo "$(basename "$bin"): unsafe test name: $name" >&2
      bad=1
    fi
  done < <("$bin" --list-test-names-only)
done
exit "$bad"
