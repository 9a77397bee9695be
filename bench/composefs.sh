#!/bin/bash
# composefs.sh: composefs costs on the Debian minbase tree that mktrees.sh caches (tree A).
#
#   GOSTREE=bin/gostree bench/composefs.sh
#
# Commits A into a bare-user repo on tmpfs, then times, RUNS times each (median):
#   image-noverity   checkout --composefs-noverity: the image without fs-verity digests
#   image-verity     checkout --composefs: digests measured or computed from the content
#   commit           commit of A; commit-cfs: the same with --generate-composefs-metadata
#   deploy           admin deploy of A (it writes .ostree.cfs, as libostree 2025 does); the
#                    reference 2022.7 (no composefs) deploys the same commit alongside
# and prints the image sizes. Needs root, GNU time, and bench/mktrees.sh's cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
G=$(readlink -f "${GOSTREE:?set GOSTREE to the gostree binary}")
REF=${REFERENCE:-/usr/bin/ostree}
RUNS=${RUNS:-3}
CACHE=${BENCH_CACHE:-$HOME/.cache/gostree-bench}
[[ -f $CACHE/rootfs-a.tar ]] || "$here/mktrees.sh"
W=$(mktemp -d /dev/shm/gostree-cfs.XXXXXX)
trap 'chattr -R -i "$W" 2>/dev/null; rm -rf "$W"' EXIT
export OSTREE_SYSROOT_DEBUG=mutable-deployments
mkdir -p "$W/tree"
tar -C "$W/tree" -xf "$CACHE/rootfs-a.tar"
mv "$W/tree/etc" "$W/tree/usr/etc"
mkdir -p "$W/tree/usr/lib/modules/6.1.0-1-amd64"
head -c $((8 << 20)) /dev/urandom >"$W/tree/usr/lib/modules/6.1.0-1-amd64/vmlinuz"
head -c $((24 << 20)) /dev/urandom >"$W/tree/usr/lib/modules/6.1.0-1-amd64/initramfs.img"

secs() { /usr/bin/time -f %e -o "$W/t" "$@" >/dev/null 2>&1; cat "$W/t"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$G" init --repo="$W/repo" --mode=bare-user
"$G" commit --repo="$W/repo" -b a --timestamp=2024-01-01 --tree=dir="$W/tree" >/dev/null
for kind in noverity verity; do
	flag=--composefs; [[ $kind == noverity ]] && flag=--composefs-noverity
	for _ in $(seq "$RUNS"); do
		rm -f "$W/img"; secs "$G" checkout --repo="$W/repo" "$flag" a "$W/img"
	done | median | sed "s/^/image-$kind seconds: /"
	echo "image-$kind bytes: $(stat -c %s "$W/img")"
done
for kind in commit commit-cfs; do
	extra=(); [[ $kind == commit-cfs ]] && extra=(--generate-composefs-metadata)
	for i in $(seq "$RUNS"); do
		rm -rf "$W/r$i"; "$G" init --repo="$W/r$i" --mode=bare-user
		secs "$G" commit --repo="$W/r$i" -b a --timestamp=2024-01-01 "${extra[@]}" --tree=dir="$W/tree"
		rm -rf "$W/r$i"
	done | median | sed "s/^/$kind seconds: /"
done
# Deploys alternate run by run: gostree (with .ostree.cfs), gostree without composefs
# (GOSTREE_LIBOSTREE_COMPAT=2022.7: no image, as in a release without composefs), and the
# reference 2022.7; medians of the times and of the pairwise ratios.
for tool in gostree reference; do
	bin=$G; [[ $tool == reference ]] && bin=$REF
	s=$W/sysroot-$tool
	mkdir -p "$s"
	"$bin" admin init-fs "$s" >/dev/null
	"$bin" admin os-init --sysroot="$s" bench >/dev/null
	"$bin" --repo="$s/ostree/repo" pull-local "$W/repo" a >/dev/null
done
deploy() { # deploy TOOL [ENV...]: seconds for one deploy into a copy of TOOL's sysroot
	local tool=$1 bin=$G d; shift
	[[ $tool == reference ]] && bin=$REF
	d=$W/run; rm -rf "$d"; cp -a "$W/sysroot-$tool" "$d"
	secs env "$@" "$bin" admin deploy --sysroot="$d" --os=bench --karg=root=LABEL=x a
	chattr -R -i "$d" 2>/dev/null || true; rm -rf "$d"
}
for _ in $(seq "$RUNS"); do
	echo "$(deploy gostree) $(deploy gostree GOSTREE_LIBOSTREE_COMPAT=2022.7) $(deploy reference)"
done >"$W/deploys"
col() { awk -v c="$1" '{print $c}' "$W/deploys" | median; }
echo "deploy-gostree seconds: $(col 1)"
echo "deploy-gostree-nocomposefs seconds: $(col 2)"
echo "deploy-reference seconds: $(col 3)"
echo "deploy gostree/reference (median of pairwise ratios): $(awk '{printf "%.2f\n", $1/$3}' "$W/deploys" | median)"
echo "deploy composefs overhead (median of pairwise ratios with/without): $(awk '{printf "%.2f\n", $1/$2}' "$W/deploys" | median)"
