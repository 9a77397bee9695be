#!/bin/bash
# Runs the libostree 2025.2 test files listed in expected-pass-2025.txt
# (Debian 13's ostree-tests, in the root setup-suite-2025 builds) with our
# binary standing in for ostree. Every listed file must pass at least the
# reference's count of really-passing subtests: the list only grows.
#
#   run-2025.sh [BINARY]
#
# The suite runs in a Debian 13 root, so BINARY must be static; without
# one, a static build of cmd/gostree is made.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runner=${CONFORMANCE_RUNNER_2025:-$here/../../../shared/conformance/run-libostree-tests-2025}
if [[ ! -x $runner ]]; then
  echo "conformance runner not found at $runner" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${1:-} ]]; then
  bin=$(readlink -f "$1")
else
  bin=$tmp/gostree-static
  (cd "$here/../.." && CGO_ENABLED=0 go build -o "$bin" ./cmd/gostree)
fi
if ! file "$bin" | grep -q 'statically linked'; then
  echo "$bin is not statically linked; the 2025 suite runs it in a Debian 13 root" >&2
  exit 1
fi
# test-delta.sh copies `$(which ostree)` into its test tree and expects a
# from-scratch delta of that tree to need no fallback objects: true of the
# reference's 0.3 MB dynamically linked ostree, not of a static binary over
# libostree's 4 MB fallback size. So a small launcher stands in as `ostree`
# (and under the aliases the runner makes); every command still runs in
# BINARY, which is installed in the suite's root for the run.
root=$("$(dirname "$runner")/setup-suite-2025" | tail -n 1)
inst=/usr/local/libexec/gostree-under-test-$$
mkdir -p "$root$inst"
trap 'rm -rf "$tmp" "${root:?}$inst"' EXIT
cp "$bin" "$root$inst/gostree"
printf '#!/bin/bash\nexec -a "$0" %s/gostree "$@"\n' "$inst" >"$tmp/ostree-launcher"
chmod 755 "$tmp/ostree-launcher"
bin=$tmp/ostree-launcher
mapfile -t files < <(grep -v '^[[:space:]]*\(#\|$\)' "$here/expected-pass-2025.txt")
if ((${#files[@]} == 0)); then
  echo "no conformance files listed"
  exit 0
fi
reference=${CONFORMANCE_REFERENCE_2025:-$(dirname "$runner")/reference-ostree-2025.2.txt}
if [[ ! -f $reference ]]; then
  echo "the reference's results are not at $reference" >&2
  exit 1
fi
out=$tmp/results
rc=0
TEST_TIMEOUT=${TEST_TIMEOUT:-900} LOGDIR=${LOGDIR:-$PWD/conformance-logs-2025} \
  "$runner" "$bin" "${files[@]}" | tee "$out" || rc=$?
# A file may exit 0 yet skip subtests the reference runs: hold each to
# the reference's really-passing count too.
while read -r status file count _; do
  [[ $status == PASS || $status == FAIL ]] || continue
  want=$(awk -v f="$file" '$2 == f { split($3, a, "/"); print a[1] }' "$reference")
  if [[ -n $want && ${count%%/*} -lt $want ]]; then
    echo "$file: ${count%%/*} subtests really passed, the reference passes $want" >&2
    rc=1
  fi
done <"$out"
exit "$rc"
