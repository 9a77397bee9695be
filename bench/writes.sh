#!/usr/bin/env bash
# writes.sh: bytes written to a block device by the A -> B delta pull and by the upgrade deploy,
# for gostree and the reference (issue 13, "Writes": flash wears).
#
# tmpfs has no block device, so this script makes an ext4 file system in a file on the real
# disk (BENCH_DISK, /var/tmp), attaches it to a loop device and mounts it (noatime: see below).
# The loop device's "sectors written" counter (field 7 of /sys/block/loopN/stat, 512-byte
# sectors) is read after a `sync` before and after each measured command: the difference is
# everything the command made the file system write, data, metadata and journal. ext4's own
# lifetime_write_kbytes is recorded next to it. mkfs initialises the inode tables and the
# journal at once (lazy_itable_init=0), so that no background initialisation writes to the
# device while we measure.
#
# The reference writes an archive repository on tmpfs (BENCH_TMP) with, on refs without
# bindings:
#   bench/a, bench/b    trees A and B of bench/mktrees.sh, as in bench/deltapull.sh
#   deploy/a, deploy/b  the same made deployable as in bench/deploy.sh (etc in usr/etc, an 8 MiB
#                       kernel and a 24 MiB initramfs of random data, another pair for B)
# the deltas bench/a -> bench/b and deploy/a -> deploy/b (--min-fallback-size=0) and a summary;
# python3's http.server serves it on 127.0.0.1.
#
# Each tool prepares its own starting states on the ext4 file system, once (not measured):
#   repo     a bare-user repository that pulled A (origin:bench/b overridden to A, no deltas)
#   sysroot  admin init-fs + os-init, origin added to its (bare) system repository, deploy/a
#            pulled the same way and deployed (origin:deploy/b, --karg=root=LABEL=bench)
# and each run measures a fresh `cp -a` of them (copied inside the file system, then synced):
#   delta-pull  pull origin bench/b into the repo (the A -> B delta, as in deltapull.sh)
#   sys-pull    pull origin deploy/b into the sysroot's repository (the delta, bare mode)
#   deploy      then admin deploy --os=bench origin:deploy/b (the upgrade deploy alone: the
#               hard-link checkout, /etc merge, kernel install, BLS entries, cleanup)
#   pull+deploy the sum of the two (with a sync between them)
# Runs alternate which tool goes first. Deployments stay mutable
# (OSTREE_SYSROOT_DEBUG=mutable-deployments, both tools) so that runs can be deleted.
# noatime: `cp -a` keeps the atimes of the template, older than the new ctimes, so under the
# default relatime the first read of every copied file would write its inode, which the tool
# would not have caused on a system whose files it had written itself.
#
# gostree writes a composefs image .ostree.cfs into each deployment by default (as libostree
# 2025.2 built with composefs does; 2022.7 does not); its size is printed. COMPAT=1 measures
# gostree with GOSTREE_LIBOSTREE_COMPAT=2022.7 (no image) as a third tool.
#
# Needs root, bench/mktrees.sh's tarballs, mkfs.ext4, losetup, python3, curl.
# Environment: GOSTREE (required), REFERENCE (/usr/bin/ostree), RUNS (3), COMPAT (0),
# BENCH_CACHE, BENCH_TMP (/dev/shm), BENCH_DISK (/var/tmp), DISK_SIZE (6G), KEEP=1,
# SERVED=DIR: keep the served repository in DIR and reuse it when the script runs again
# (writing it took the reference 12-14 minutes on the loaded 2-core machine).
set -euo pipefail

REFERENCE=${REFERENCE:-/usr/bin/ostree}
RUNS=${RUNS:-3}
CACHE=${BENCH_CACHE:-$HOME/.cache/gostree-bench}
BENCH_TMP=${BENCH_TMP:-/dev/shm}
BENCH_DISK=${BENCH_DISK:-/var/tmp}
DISK_SIZE=${DISK_SIZE:-6G}
die() { printf '[writes] error: %s\n' "$*" >&2; exit 1; }
log() { printf '[writes %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[[ -n ${GOSTREE:-} ]] || die "set GOSTREE=path/to/gostree"
GOSTREE=$(realpath "$(command -v "$GOSTREE")")
REFERENCE=$(realpath "$(command -v "$REFERENCE")")
((EUID == 0)) || die "needs root (losetup, mount, bare repositories)"
for t in a b; do [[ -s $CACHE/rootfs-$t.tar ]] || die "$CACHE/rootfs-$t.tar missing: run bench/mktrees.sh"; done
for c in python3 curl mkfs.ext4 losetup; do command -v $c >/dev/null || die "$c is needed"; done

W=$(mktemp -d "$BENCH_TMP/gostree-writes.XXXXXX")
IMG=$(mktemp "$BENCH_DISK/gostree-writes.XXXXXX.img")
MNT=$W/mnt
LOOP=
SERVER=
cleanup() {
	set +e
	if [[ -n $SERVER ]]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; fi
	if mountpoint -q "$MNT"; then umount "$MNT" || umount -l "$MNT"; fi
	[[ -n $LOOP ]] && losetup -d "$LOOP"
	rm -f "$IMG"
	if [[ ${KEEP:-0} == 1 ]]; then echo "kept $W" >&2; else rm -rf --one-file-system "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "ext4 in $IMG ($DISK_SIZE)"
truncate -s "$DISK_SIZE" "$IMG"
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$IMG"
LOOP=$(losetup --find --show "$IMG")
DEV=${LOOP#/dev/}
mkdir "$MNT"
mount -o noatime "$LOOP" "$MNT"
F=$MNT/w
mkdir "$F"

export OSTREE_SYSROOT_DEBUG=mutable-deployments
bin_of() { [[ $1 == reference ]] && printf '%s' "$REFERENCE" || printf '%s' "$GOSTREE"; }
# run TOOL CMD...: the tool's binary with CMD (gostree-compat adds the environment variable).
run() {
	local tool=$1
	shift
	if [[ $tool == gostree-compat ]]; then
		GOSTREE_LIBOSTREE_COMPAT=2022.7 "$GOSTREE" "$@"
	else
		"$(bin_of "$tool")" "$@"
	fi
}
quiet() {
	"$@" >"$W/out.log" 2>&1 || { tail -n 5 "$W/out.log" >&2; die "failed: $*"; }
}
# written: "sectors ext4_kib" so far.
written() {
	sync
	printf '%s %s\n' "$(awk '{print $7}' "/sys/block/$DEV/stat")" "$(cat "/sys/fs/ext4/$DEV/lifetime_write_kbytes")"
}

R=${SERVED:-$W/served}
if [[ ! -f $R/summary ]]; then
	log "extracting trees and writing the served repository with the reference"
	mkdir "$W/A" "$W/B"
	tar -C "$W/A" -xf "$CACHE/rootfs-a.tar"
	tar -C "$W/B" -xf "$CACHE/rootfs-b.tar"
	for t in a b; do
		kver=6.1.0-1-amd64
		[[ $t == b ]] && kver=6.1.0-2-amd64
		d=$W/deploy-$t
		cp -al "$W/${t^^}" "$d"
		mv "$d/etc" "$d/usr/etc"
		mkdir -p "$d/usr/lib/modules/$kver"
		head -c $((8 << 20)) /dev/urandom >"$d/usr/lib/modules/$kver/vmlinuz"
		head -c $((24 << 20)) /dev/urandom >"$d/usr/lib/modules/$kver/initramfs.img"
	done
	quiet "$REFERENCE" --repo="$R" init --mode=archive
	for p in bench:"$W" deploy:"$W/deploy-"; do
		ref=${p%%:*} dir=${p#*:}
		[[ $ref == bench ]] && da=$dir/A db=$dir/B || da=${dir}a db=${dir}b
		quiet "$REFERENCE" --repo="$R" commit -b "$ref/a" -s A --timestamp=@1700000000 --no-bindings --tree=dir="$da"
		quiet "$REFERENCE" --repo="$R" commit -b "$ref/b" -s B --timestamp=@1700086400 --no-bindings \
			--parent="$("$REFERENCE" --repo="$R" rev-parse "$ref/a")" --tree=dir="$db"
		quiet "$REFERENCE" --repo="$R" static-delta generate --min-fallback-size=0 --from="$ref/a" --to="$ref/b"
	done
	quiet "$REFERENCE" --repo="$R" summary -u
	rm -rf "$W/A" "$W/B" "$W/deploy-a" "$W/deploy-b"
fi
A=$("$REFERENCE" --repo="$R" rev-parse bench/a)
DA=$("$REFERENCE" --repo="$R" rev-parse deploy/a)
DB=$("$REFERENCE" --repo="$R" rev-parse deploy/b)

port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind 127.0.0.1 --directory "$R" "$port" >"$W/http.log" 2>&1 &
SERVER=$!
URL=http://127.0.0.1:$port
for _ in $(seq 50); do curl -sf "$URL/config" >/dev/null && break; sleep 0.1; done

TOOLS=(gostree reference)
[[ ${COMPAT:-0} == 1 ]] && TOOLS+=(gostree-compat)
for tool in "${TOOLS[@]}"; do
	log "setup for $tool: a repo and a sysroot holding A"
	r=$F/tpl-repo-$tool
	quiet run "$tool" --repo="$r" init --mode=bare-user
	quiet run "$tool" --repo="$r" remote add --no-gpg-verify origin "$URL"
	quiet run "$tool" --repo="$r" pull --disable-static-deltas origin "bench/b@$A"
	s=$F/tpl-sysroot-$tool
	mkdir "$s"
	quiet run "$tool" admin init-fs "$s"
	quiet run "$tool" admin os-init --sysroot="$s" bench
	quiet run "$tool" --repo="$s/ostree/repo" remote add --no-gpg-verify origin "$URL"
	quiet run "$tool" --repo="$s/ostree/repo" pull --disable-static-deltas origin "deploy/b@$DA"
	quiet run "$tool" admin deploy --sysroot="$s" --os=bench --karg=root=LABEL=bench origin:deploy/b
done

# measure_run TOOL RUN: one run of every case on fresh copies; appends lines
# "case run tool sectors ext4_kib" to $W/results.
measure_run() {
	local tool=$1 i=$2 d=$F/run s0 s1 s2 k0 k1 k2 n0
	rm -rf "$d"
	cp -a "$F/tpl-repo-$tool" "$d"
	read -r s0 k0 < <(written)
	n0=$(wc -l <"$W/http.log")
	quiet run "$tool" --repo="$d" pull origin bench/b
	read -r s1 k1 < <(written)
	grep -q 'GET /deltas/' < <(tail -n +$((n0 + 1)) "$W/http.log") || die "$tool did not pull through the delta"
	[[ $(run "$tool" --repo="$d" rev-parse origin:bench/b) != "$A" ]] || die "$tool: bench/b not updated"
	echo "delta-pull $i $tool $((s1 - s0)) $((k1 - k0))" >>"$W/results"
	rm -rf "$d"

	cp -a "$F/tpl-sysroot-$tool" "$d"
	read -r s0 k0 < <(written)
	n0=$(wc -l <"$W/http.log")
	quiet run "$tool" --repo="$d/ostree/repo" pull origin deploy/b
	read -r s1 k1 < <(written)
	grep -q 'GET /deltas/' < <(tail -n +$((n0 + 1)) "$W/http.log") || die "$tool did not pull through the delta"
	quiet run "$tool" admin deploy --sysroot="$d" --os=bench origin:deploy/b
	read -r s2 k2 < <(written)
	[[ -d $d/ostree/deploy/bench/deploy/$DB.0 ]] || die "$tool: no deployment of B"
	echo "sys-pull $i $tool $((s1 - s0)) $((k1 - k0))" >>"$W/results"
	echo "deploy $i $tool $((s2 - s1)) $((k2 - k1))" >>"$W/results"
	echo "pull+deploy $i $tool $((s2 - s0)) $((k2 - k0))" >>"$W/results"
	local cfs=$d/ostree/deploy/bench/deploy/$DB.0/.ostree.cfs
	[[ -f $cfs ]] && echo "cfs $i $tool $(stat -c %s "$cfs") $(($(stat -c %b "$cfs") * $(stat -c %B "$cfs") / 1024))" >>"$W/results"
	rm -rf "$d"
	sync
}

: >"$W/results"
for ((i = 1; i <= RUNS; i++)); do
	if ((i % 2)); then order=("${TOOLS[@]}"); else order=(); for ((j = ${#TOOLS[@]} - 1; j >= 0; j--)); do order+=("${TOOLS[j]}"); done; fi
	for tool in "${order[@]}"; do
		log "run $i: $tool"
		measure_run "$tool" "$i"
	done
done

# A baseline: sync, wait, sync, with nothing running (should be 0).
read -r s0 _ < <(written)
sleep 5
read -r s1 _ < <(written)
log "idle for 5 s: $(((s1 - s0) * 512)) bytes written"

mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '\nbytes written to the block device (MiB), per run; ratio = gostree/reference\n'
printf '%-12s %4s' case run
for tool in "${TOOLS[@]}"; do printf ' %14s' "$tool"; done
printf ' %7s\n' ratio
for c in delta-pull sys-pull deploy pull+deploy; do
	for ((i = 1; i <= RUNS; i++)); do
		printf '%-12s %4s' "$c" "$i"
		for tool in "${TOOLS[@]}"; do
			printf ' %14s' "$(mib "$(awk -v c="$c" -v i="$i" -v t="$tool" '$1 == c && $2 == i && $3 == t { print $4 * 512 }' "$W/results")")"
		done
		awk -v c="$c" -v i="$i" '$1 == c && $2 == i { s[$3] = $4 } END { printf " %7.2f\n", s["gostree"] / s["reference"] }' "$W/results"
	done
done
printf '\nmedians (MiB; ext4 lifetime_write_kbytes in brackets) and median of the pairwise ratios\n'
for c in delta-pull sys-pull deploy pull+deploy; do
	printf '%-12s' "$c"
	for tool in "${TOOLS[@]}"; do
		b=$(awk -v c="$c" -v t="$tool" '$1 == c && $3 == t { print $4 * 512 }' "$W/results" | median)
		k=$(awk -v c="$c" -v t="$tool" '$1 == c && $3 == t { print $5 }' "$W/results" | median)
		printf '  %s %s (%s)' "$tool" "$(mib "$b")" "$(mib "$((${k%.*} * 1024))")"
	done
	for t in "${TOOLS[@]:2}" gostree; do
		r=$(awk -v c="$c" -v t="$t" '$1 == c { s[$2, $3] = $4; n[$2] = 1 } END { for (i in n) print s[i, t] / s[i, "reference"] }' "$W/results" | median)
		printf '  %s/reference %.3f' "$t" "$r"
	done
	printf '\n'
done
if grep -q '^cfs ' "$W/results"; then
	printf '.ostree.cfs of the deployment of B: %s bytes (%s KiB allocated)\n' \
		"$(awk '$1 == "cfs" { print $4; exit }' "$W/results")" "$(awk '$1 == "cfs" { print $5; exit }' "$W/results")"
fi
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
