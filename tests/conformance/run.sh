#!/bin/bash
# Runs the libostree test files listed in expected-pass.txt with our
# binary standing in for ostree. Every listed file must pass: the list only
# grows (a ratchet).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(readlink -f "${1:?usage: run.sh BINARY}")
runner=${CONFORMANCE_RUNNER:-$here/../../../shared/conformance/run-libostree-tests}
if [[ ! -x $runner ]]; then
  echo "conformance runner not found at $runner" >&2
  exit 1
fi
mapfile -t files < <(grep -v '^[[:space:]]*\(#\|$\)' "$here/expected-pass.txt")
if ((${#files[@]} == 0)); then
  echo "no conformance files listed"
  exit 0
fi
# libostree 2022.7 names BLS entries ostree-N-STATEROOT.conf; gostree
# follows 2025.2 (ostree-N.conf) unless asked for the old naming with
# libostree's own switch, as a 2022.7-era system would be.
export OSTREE_SYSROOT_OPTS=${OSTREE_SYSROOT_OPTS:-bootloader-naming-1}
# Where 2025.2 changed an output and nothing else tells the releases
# apart, this keeps 2022.7's (docs/conformance-2025.md lists them).
export GOSTREE_LIBOSTREE_COMPAT=2022.7
# Some files generate many deltas of big trees; the default 300 s per
# file is too tight on a loaded machine.
TEST_TIMEOUT=${TEST_TIMEOUT:-900} LOGDIR=${LOGDIR:-$PWD/conformance-logs} "$runner" "$bin" "${files[@]}"
