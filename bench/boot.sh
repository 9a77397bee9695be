#!/usr/bin/env bash
# boot.sh: in-guest boot benchmarks (issue 10), results for docs/benchmarks.md "Boot".
#
# Boots one deployment from one disk under qemu (TCG), with the same kernel, alternating
# gostree-prepare-root and the reference's ostree-prepare-root (Debian's ostree-boot) in the
# initramfs, PAIRS times. The guest times prepare-root from its start to its exit with the
# kernel's clock, and one `gostree health run` without checks. Also prints the size of both
# binaries (the reference's with its shared libraries). See tests/boot/bench_boot_test.go.
#
# Environment:
#   PAIRS              paired boots (default 7)
#   NICE               niceness for the run and its qemu guests (default 0; -10 on a shared machine)
#   GOSTREE_BOOT_CACHE kernel, reference package and guest cache (default ~/.cache/gostree-boot)
#
# Needs root and the tools that scripts/boot-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) != 0 ]]; then
	echo "boot.sh: needs root (disk images keep file owners, qemu)" >&2
	exit 1
fi
GOSTREE_BOOT_BENCH_PAIRS=${PAIRS:-7} exec nice -n "${NICE:-0}" go test -count=1 -run '^$' \
	-bench '^BenchmarkBootPrepareRoot$' -benchtime 1x -timeout 60m ./tests/boot
