#!/usr/bin/env bash
# Fuzzes every target for DURATION each (default 30s), one after another:
#   ./scripts/fuzz.sh 5m
# The targets are the Fuzz* functions of the *_fuzz_test.go files (and
# httpapi's FuzzAppendJSONString). Their seed corpora live in each
# package's testdata/fuzz/ and run with every plain `go test`. A failing
# input is written there too: commit it with the fix, as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30s}"

# "package target" pairs, found in the test files.
targets=$(grep -H '^func Fuzz' --include='*_test.go' -r . |
  sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#./\1 \2#' | sort -u)

failed=()
while read -r pkg target; do
  echo "== $target ($pkg) for $duration"
  if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" "$pkg"; then
    failed+=("$target")
  fi
done <<<"$targets"

if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: every target ran $duration without a failure"
