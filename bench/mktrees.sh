#!/usr/bin/env bash
# mktrees.sh: build the two benchmark OS trees (once) and cache them as tarballs.
#
#   rootfs-a.tar  debootstrap --variant=minbase SUITE
#   rootfs-b.tar  the same plus a few packages (a separate debootstrap run with --include=)
#
# The tarballs keep ownership, modes and xattrs (tar --xattrs --numeric-owner); bench/run.sh
# extracts them fresh into tmpfs. Device nodes, FIFOs and sockets are removed (ostree refuses to
# commit them; on an OSTree system /dev is a devtmpfs anyway).
#
# Environment:
#   BENCH_CACHE     cache directory (default: $HOME/.cache/gostree-bench)
#   BENCH_SUITE     Debian suite (default: VERSION_CODENAME from /etc/os-release, else bookworm)
#   BENCH_PACKAGES  comma-separated extra packages for tree B
#                   (default: less,procps,iproute2,curl,vim-tiny,openssh-client,python3-minimal)
#   BENCH_MIRROR    optional mirror URL passed to debootstrap (default: debootstrap's own default)
#   FORCE=1         rebuild even if the cached tarballs match the configuration
#
# Idempotent: a tree is rebuilt only when its tarball is missing or was built with a different
# configuration (recorded next to it in rootfs-X.conf). Needs root only when it has to build.
set -euo pipefail

CACHE=${BENCH_CACHE:-$HOME/.cache/gostree-bench}
SUITE=${BENCH_SUITE:-}
if [[ -z $SUITE && -r /etc/os-release ]]; then
	SUITE=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d "\"' ")
fi
SUITE=${SUITE:-bookworm}
PACKAGES=${BENCH_PACKAGES:-less,procps,iproute2,curl,vim-tiny,openssh-client,python3-minimal}
MIRROR=${BENCH_MIRROR:-}
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)

log() { printf '[mktrees %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[mktrees] error: %s\n' "$*" >&2; exit 1; }

# conf_for NAME: the configuration string a cached tarball must match.
conf_for() {
	local include=""
	[[ $1 == b ]] && include=$PACKAGES
	printf 'format=1 suite=%s arch=%s variant=minbase include=%s mirror=%s\n' \
		"$SUITE" "$ARCH" "$include" "${MIRROR:-default}"
}

# assert_unmounted DIR: refuse to touch DIR if anything is mounted below it.
assert_unmounted() {
	local dir m
	dir=$(realpath -m "$1")
	while read -r m; do
		case $m in "$dir" | "$dir"/*) die "$m is still mounted; unmount it and retry" ;; esac
	done < <(awk '{print $2}' /proc/self/mounts)
}

build_tree() {
	local name=$1 tarball="$CACHE/rootfs-$1.tar" conffile="$CACHE/rootfs-$1.conf"
	local want build logf start
	want=$(conf_for "$name")
	if [[ ${FORCE:-0} != 1 && -s $tarball && -s $conffile ]] &&
		[[ $(head -n1 "$conffile") == "$want" ]]; then
		log "rootfs-$name: cached ($tarball, $(du -h "$tarball" | cut -f1))"
		return 0
	fi
	[[ $(id -u) == 0 ]] || die "building rootfs-$name needs root (debootstrap); run as root"
	command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install -y debootstrap)"

	build="$CACHE/build-$name"
	logf="$CACHE/debootstrap-$name.log"
	if [[ -e $build ]]; then
		assert_unmounted "$build"
		rm -rf --one-file-system "$build"
	fi
	mkdir -p "$build"

	local -a args=(--variant=minbase)
	[[ $name == b ]] && args+=("--include=$PACKAGES")
	args+=("$SUITE" "$build")
	[[ -n $MIRROR ]] && args+=("$MIRROR")
	log "rootfs-$name: debootstrap ${args[*]} (log: $logf)"
	start=$(date +%s)
	if ! debootstrap "${args[@]}" >"$logf" 2>&1; then
		tail -n 20 "$logf" >&2 || true
		die "debootstrap for rootfs-$name failed; see $logf"
	fi
	assert_unmounted "$build"
	log "rootfs-$name: debootstrap done in $(($(date +%s) - start)) s"

	local special
	special=$(find "$build" -xdev \( -type b -o -type c -o -type p -o -type s \) -print -delete | wc -l)
	log "rootfs-$name: removed $special device nodes/FIFOs/sockets"

	local files dirs links bytes pkgs
	files=$(find "$build" -xdev -type f | wc -l)
	dirs=$(find "$build" -xdev -type d | wc -l)
	links=$(find "$build" -xdev -type l | wc -l)
	bytes=$(find "$build" -xdev -type f -printf '%i %s\n' | sort -u | awk '{s += $2} END {print s + 0}')
	pkgs=$(grep -c '^Package: ' "$build/var/lib/dpkg/status" || true)

	log "rootfs-$name: writing $tarball"
	tar --xattrs --xattrs-include='*' --numeric-owner -C "$build" -cf "$tarball.tmp" .
	mv -f "$tarball.tmp" "$tarball"
	{
		printf '%s\n' "$want"
		printf 'built=%s packages=%s regular_files=%s dirs=%s symlinks=%s bytes=%s\n' \
			"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$pkgs" "$files" "$dirs" "$links" "$bytes"
	} >"$conffile"
	rm -rf --one-file-system "$build"
	log "rootfs-$name: $pkgs packages, $files regular files ($((bytes / 1000000)) MB), $dirs dirs, $links symlinks; tarball $(du -h "$tarball" | cut -f1)"
}

mkdir -p "$CACHE"
log "cache: $CACHE, suite: $SUITE ($ARCH), extra packages for B: $PACKAGES"
build_tree a
build_tree b
log "done"
