#!/usr/bin/env bash
# scale.sh: peak memory of gostree and the reference on synthetic trees of many small files.
#
# For each size in SIZES, a tree of that many small regular files (100 per directory, 64 to
# 2,047 bytes, every file different) is generated in tmpfs, and both tools run the same
# cases, each on repositories it wrote itself, alternating which tool goes first:
#
#   commit    init --mode=bare-user; commit -b s --timestamp=@1700000000 --tree=dir=T (timed)
#   fsck      fsck of that repository
#   prune     prune --refs-only on a copy of it (everything is reachable: a full walk)
#   pull      pull-local of branch s from it into a fresh bare-user repository
#   checkout  checkout -U s DEST from it
#
# Reported per case and size: peak RSS of each tool (GNU time's maximum resident set size, which
# does not depend on load) and wall time (which does; on a busy machine read it as indicative).
# Same method as run.sh: tmpfs, alternation, median of the pairwise ratios.
#
# Environment:
#   GOSTREE    gostree binary (required)
#   REFERENCE  reference binary (default: /usr/bin/ostree)
#   SIZES      file counts (default: "20000 200000")
#   CASES      subset of "commit fsck prune pull checkout" (default: all)
#   RUNS       runs per tool, case and size (default: 1)
#   BENCH_TMP  tmpfs directory (default: /dev/shm)
#   KEEP=1     keep the work directory
set -euo pipefail

REFERENCE=${REFERENCE:-/usr/bin/ostree}
SIZES=${SIZES:-20000 200000}
CASES=${CASES:-commit fsck prune pull checkout}
RUNS=${RUNS:-1}
BENCH_TMP=${BENCH_TMP:-/dev/shm}

die() { printf '[scale] error: %s\n' "$*" >&2; exit 1; }
[[ -n ${GOSTREE:-} ]] || die "set GOSTREE=path/to/gostree"
GOSTREE=$(realpath "$(command -v "$GOSTREE")") || die "gostree binary not found"
REFERENCE=$(realpath "$(command -v "$REFERENCE")") || die "reference binary not found"
/usr/bin/time --version 2>&1 | grep -q GNU || die "GNU time is needed at /usr/bin/time"
command -v perl >/dev/null || die "perl is needed to generate the trees"

W=$(mktemp -d "$BENCH_TMP/gostree-scale.XXXXXX")
cleanup() { [[ ${KEEP:-0} == 1 ]] && echo "kept $W" >&2 || rm -rf --one-file-system "$W"; }
trap cleanup EXIT

# gentree DIR N: N files, 100 per directory, two directory levels.
gentree() {
	perl -e '
		my ($dir, $n) = @ARGV;
		mkdir $dir or die "$dir: $!";
		for (my $i = 0; $i < $n; $i++) {
			my $d1 = sprintf "%s/d%03d", $dir, int($i / 10000);
			my $d2 = sprintf "%s/s%03d", $d1, int($i / 100) % 100;
			if ($i % 100 == 0) { mkdir $d1; mkdir $d2 or die "$d2: $!"; }
			my $len = 64 + ($i * 7919) % 1984;
			my $line = "file $i of $n\n";
			my $body = substr($line x (int($len / length $line) + 1), 0, $len);
			open my $f, ">", sprintf("%s/f%07d.txt", $d2, $i) or die "$!";
			print $f $body;
			close $f;
		}' "$1" "$2"
}

bin_of() { [[ $1 == gostree ]] && printf '%s' "$GOSTREE" || printf '%s' "$REFERENCE"; }

# timed NAME CMD...: run CMD under GNU time; prints "wall_s rss_kib".
timed() {
	local tf=$W/time.out t0 t1 rss
	shift
	t0=${EPOCHREALTIME/[.,]/}
	/usr/bin/time -f '%M' -o "$tf" "$@" >"$W/out.log" 2>&1 || { tail -n5 "$W/out.log" >&2; die "failed: $*"; }
	t1=${EPOCHREALTIME/[.,]/}
	read -r rss <"$tf"
	printf '%d.%06d %s\n' $(((t1 - t0) / 1000000)) $(((t1 - t0) % 1000000)) "$rss"
}

# run_case CASE N TOOL RUN: set up (untimed) and run one case; prints "wall rss".
run_case() {
	local c=$1 n=$2 tool=$3 run=$4 bin d=$W/$3.$2.$4
	bin=$(bin_of "$tool")
	local repo=$W/repo.$tool.$n
	rm -rf --one-file-system "$d"
	if [[ $c == commit && ! -d $repo ]]; then
		# The first timed commit makes the tool's own repository for the other cases.
		"$bin" --repo="$repo" init --mode=bare-user >/dev/null
		timed x "$bin" --repo="$repo" commit -b s --timestamp=@1700000000 --tree=dir="$W/tree.$n"
		return
	fi
	if [[ ! -d $repo ]]; then # the tool's own repository holding the tree, made once
		"$bin" --repo="$repo" init --mode=bare-user >/dev/null
		"$bin" --repo="$repo" commit -b s --timestamp=@1700000000 --tree=dir="$W/tree.$n" >/dev/null
	fi
	case $c in
	commit)
		"$bin" --repo="$d" init --mode=bare-user >/dev/null
		timed x "$bin" --repo="$d" commit -b s --timestamp=@1700000000 --tree=dir="$W/tree.$n" ;;
	fsck) timed x "$bin" --repo="$repo" fsck ;;
	prune)
		cp -a "$repo" "$d"
		timed x "$bin" --repo="$d" prune --refs-only ;;
	pull)
		"$bin" --repo="$d" init --mode=bare-user >/dev/null
		timed x "$bin" --repo="$d" pull-local "$repo" s ;;
	checkout) timed x "$bin" --repo="$repo" checkout -U s "$d" ;;
	esac
	rm -rf --one-file-system "$d"
}

printf '%-9s %8s %4s  %12s %12s %6s  %10s %10s %6s\n' case files run 'rss gostree' 'rss ref' ratio 'wall g' 'wall ref' ratio
for n in $SIZES; do
	gentree "$W/tree.$n" "$n"
	for c in $CASES; do
		for ((i = 1; i <= RUNS; i++)); do
			if ((i % 2)); then order=(gostree reference); else order=(reference gostree); fi
			declare -A res=()
			for tool in "${order[@]}"; do res[$tool]=$(run_case "$c" "$n" "$tool" "$i"); done
			read -r wg rg <<<"${res[gostree]}"
			read -r wr rr <<<"${res[reference]}"
			printf '%-9s %8s %4s  %8d MiB %8d MiB %6.2f  %9.2fs %9.2fs %6.2f\n' "$c" "$n" "$i" \
				$((rg / 1024)) $((rr / 1024)) "$(echo "$rg / $rr" | bc -l)" "$wg" "$wr" "$(echo "$wg / $wr" | bc -l)"
		done
	done
	rm -rf --one-file-system "$W/tree.$n" "$W"/repo.*."$n"
done
