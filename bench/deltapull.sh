#!/usr/bin/env bash
# deltapull.sh: peak memory and time of updating A to B through a static delta over HTTP,
# and of applying the same delta offline, for gostree and the reference.
#
# The reference writes an archive repository with A (bench/a) and B (bench/b, parent A;
# commits without ref bindings, so that A can be pulled as origin:bench/b), the
# A -> B delta in the repository (no fallback objects) and a summary listing it; python3's
# http.server serves it on 127.0.0.1. Each tool pulls A into its own bare-user repository
# (untimed, as origin:bench/b), then, per run, a copy of that repository pulls bench/b (timed:
# the delta is found in the summary and applied). apply-offline applies the same delta to a
# copy of a bare-user repository holding A that the tool committed itself. Runs alternate
# which tool goes first. Peak RSS (GNU time) does not depend on load; wall time does.
#
# Needs bench/mktrees.sh's tarballs. Environment: GOSTREE (required), REFERENCE
# (/usr/bin/ostree), RUNS (3), BENCH_CACHE, BENCH_TMP (/dev/shm), KEEP=1.
set -euo pipefail

REFERENCE=${REFERENCE:-/usr/bin/ostree}
RUNS=${RUNS:-3}
CACHE=${BENCH_CACHE:-$HOME/.cache/gostree-bench}
BENCH_TMP=${BENCH_TMP:-/dev/shm}
die() { printf '[deltapull] error: %s\n' "$*" >&2; exit 1; }
log() { printf '[deltapull %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[[ -n ${GOSTREE:-} ]] || die "set GOSTREE=path/to/gostree"
GOSTREE=$(realpath "$(command -v "$GOSTREE")")
REFERENCE=$(realpath "$(command -v "$REFERENCE")")
for t in a b; do [[ -s $CACHE/rootfs-$t.tar ]] || die "$CACHE/rootfs-$t.tar missing: run bench/mktrees.sh"; done
command -v python3 >/dev/null || die "python3 is needed for the HTTP server"

W=$(mktemp -d "$BENCH_TMP/gostree-deltapull.XXXXXX")
SERVER=
cleanup() {
	if [[ -n $SERVER ]]; then
		kill "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
	fi
	if [[ ${KEEP:-0} == 1 ]]; then echo "kept $W" >&2; else rm -rf --one-file-system "$W"; fi
}
trap cleanup EXIT

log "extracting trees and writing the served repository with the reference"
mkdir "$W/A" "$W/B"
tar -C "$W/A" -xf "$CACHE/rootfs-a.tar"
tar -C "$W/B" -xf "$CACHE/rootfs-b.tar"
R=$W/served
"$REFERENCE" --repo="$R" init --mode=archive
"$REFERENCE" --repo="$R" commit -b bench/a -s A --timestamp=@1700000000 --no-bindings --tree=dir="$W/A" >/dev/null
A=$("$REFERENCE" --repo="$R" rev-parse bench/a)
"$REFERENCE" --repo="$R" commit -b bench/b -s B --timestamp=@1700086400 --no-bindings --parent="$A" --tree=dir="$W/B" >/dev/null
"$REFERENCE" --repo="$R" static-delta generate --min-fallback-size=0 --from=bench/a --to=bench/b >/dev/null
"$REFERENCE" --repo="$R" summary -u
DELTA=$(dirname "$(find "$R/deltas" -name superblock)")

port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind 127.0.0.1 --directory "$R" "$port" >"$W/http.log" 2>&1 &
SERVER=$!
URL=http://127.0.0.1:$port
for _ in $(seq 50); do curl -sf "$URL/config" >/dev/null && break; sleep 0.1; done

bin_of() { [[ $1 == gostree ]] && printf '%s' "$GOSTREE" || printf '%s' "$REFERENCE"; }
for tool in gostree reference; do
	bin=$(bin_of $tool)
	log "setup for $tool: pull A over HTTP, commit A"
	"$bin" --repo="$W/pulled-$tool" init --mode=bare-user
	"$bin" --repo="$W/pulled-$tool" remote add --no-gpg-verify origin "$URL"
	"$bin" --repo="$W/pulled-$tool" pull --disable-static-deltas origin "bench/b@$A" >/dev/null
	"$bin" --repo="$W/bu-a-$tool" init --mode=bare-user
	"$bin" --repo="$W/bu-a-$tool" commit -b bench/a -s A --timestamp=@1700000000 --no-bindings --tree=dir="$W/A" >/dev/null
done

# timed CMD...: prints "wall_s rss_kib".
timed() {
	local t0 t1
	t0=${EPOCHREALTIME/[.,]/}
	/usr/bin/time -f '%M' -o "$W/time.out" "$@" >"$W/out.log" 2>&1 || { tail -n5 "$W/out.log" >&2; die "failed: $*"; }
	t1=${EPOCHREALTIME/[.,]/}
	printf '%d.%06d %s\n' $(((t1 - t0) / 1000000)) $(((t1 - t0) % 1000000)) "$(cat "$W/time.out")"
}

run_case() {
	local c=$1 tool=$2 bin d=$W/run
	bin=$(bin_of "$tool")
	rm -rf --one-file-system "$d"
	case $c in
	delta-pull)
		cp -a "$W/pulled-$tool" "$d"
		local n0
		n0=$(wc -l <"$W/http.log")
		timed "$bin" --repo="$d" pull origin bench/b
		# What the pull fetched, to show that it went through the delta.
		tail -n +$((n0 + 1)) "$W/http.log" | awk -v t="$tool" '
			/GET \/deltas\// { d++ } /GET \/objects\// { o++ }
			END { printf "  %s fetched %d delta files and %d objects\n", t, d, o > "/dev/stderr" }' ;;
	apply-ab)
		cp -a "$W/bu-a-$tool" "$d"
		timed "$bin" --repo="$d" static-delta apply-offline "$DELTA/superblock" ;;
	esac
}

printf '%-10s %4s  %12s %12s %6s  %9s %9s %6s\n' case run 'rss gostree' 'rss ref' ratio 'wall g' 'wall ref' ratio
for c in delta-pull apply-ab; do
	for ((i = 1; i <= RUNS; i++)); do
		if ((i % 2)); then order=(gostree reference); else order=(reference gostree); fi
		declare -A res=()
		for tool in "${order[@]}"; do res[$tool]=$(run_case "$c" "$tool"); done
		read -r wg rg <<<"${res[gostree]}"
		read -r wr rr <<<"${res[reference]}"
		printf '%-10s %4s  %8d MiB %8d MiB %6.2f  %8.2fs %8.2fs %6.2f\n' "$c" "$i" \
			$((rg / 1024)) $((rr / 1024)) "$(echo "$rg / $rr" | bc -l)" "$wg" "$wr" "$(echo "$wg / $wr" | bc -l)"
	done
done
