#!/bin/bash
# Runs every Fuzz target for a while (default 20s each); new crashers
# land in the package's testdata/fuzz/ and must be committed.
set -eu
t=${1:-20s}
failed=()
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "== $pkg $f"
    # Go's fuzzer sometimes ends with "context deadline exceeded" when the
    # time runs out while it minimises an input: not a crasher (those
    # are written to testdata/fuzz), so go on and list the failures.
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg" || failed+=("$pkg $f")
  done
done
if ((${#failed[@]})); then
  printf 'failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
