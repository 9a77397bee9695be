#!/usr/bin/env bash
# run.sh: compare gostree with the reference ostree on the same work, in one run.
#
# Every case runs both tools RUNS times, alternating which goes first, each run on a fresh
# target in tmpfs. Reported per case: median wall time per tool, the median of the pairwise
# wall ratios gostree/reference (run i of one against run i of the other), the CPU ratio and
# the peak RSS of each. See bench/README.md.
#
# Environment:
#   GOSTREE      gostree binary (required unless SELF=1)
#   REFERENCE    reference binary (default: /usr/bin/ostree)
#   RUNS         runs per tool and case (default: 5)
#   SELF=1       noise check: run the reference against itself (GOSTREE is ignored)
#   CASES        space/comma-separated subset of cases (default: all; see --list)
#   BENCH_CACHE  where bench/mktrees.sh left the tarballs (default: $HOME/.cache/gostree-bench)
#   BENCH_TMP    tmpfs directory for trees, repos and checkouts (default: /dev/shm)
#   BENCH_OUT    JSON output (default: bench/results.json next to this script)
#   FAST_RUNS    runs for the sub-second cases (checkout-hardlink, checkout-user, prune*;
#                default: 2 * RUNS)
#   NICE         priority for the timed commands of both tools (default: 0 = unchanged). With
#                e.g. NICE=-10 (root) each timed command runs in its own session, whose
#                scheduler autogroup gets that nice value, and under `nice -n NICE`: this
#                shields the measurement from other load on a shared machine (see README)
#   PAUSE        seconds to sleep after deleting a case's targets (default: 2)
#   KEEP=1       keep the work directory in BENCH_TMP
#   PULL_RUNS    runs for the pull cases with added latency (default: RUNS)
#   PULL_RTT     round-trip time added by bench/latproxy in the *-rtt cases (default: 50ms)
#   LATPROXY     latproxy binary (default: built from bench/latproxy with `go build`)
#   NGINX        nginx binary for the pull cases (default: /usr/sbin/nginx, else nginx in PATH)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${BENCH_CACHE:-$HOME/.cache/gostree-bench}
REFERENCE=${REFERENCE:-/usr/bin/ostree}
RUNS=${RUNS:-5}
SELF=${SELF:-0}
CASES=${CASES:-all}
BENCH_TMP=${BENCH_TMP:-/dev/shm}
OUT=${BENCH_OUT:-$HERE/results.json}
PAUSE=${PAUSE:-2}
NICE=${NICE:-0}
FAST_RUNS=${FAST_RUNS:-$((RUNS * 2))}
PULL_RUNS=${PULL_RUNS:-$RUNS}
PULL_RTT=${PULL_RTT:-50ms}

# Fixed commit timestamps make commit checksums reproducible, so the two tools' commits of
# the same tree can be compared byte for byte (checksums are recorded as checks).
TS_A=@1700000000
TS_B=@1700086400

# Case table: name|title|timed command (for the record)|wall ratio target|vs cp -al target.
# Every case also has the peak-RSS target gostree/reference <= 1.0.
CASE_TABLE=(
	"commit-archive|commit A, archive repo|commit -b bench/a -s A --timestamp=@1700000000 --tree=dir=A (fresh repo)|0.5|"
	"commit-bare|commit A, bare repo|commit -b bench/a -s A --timestamp=@1700000000 --tree=dir=A (fresh repo)|0.7|"
	"commit-bare-user|commit A, bare-user repo|commit -b bench/a -s A --timestamp=@1700000000 --tree=dir=A (fresh repo)|0.7|"
	"commit-incremental|commit B on top of A, bare-user repo|commit -b bench/b -s B --timestamp=@1700086400 --parent=A --tree=dir=B (repo holding A)||"
	"checkout-hardlink|checkout A, hardlinks from bare repo|checkout bench/a DEST|0.8|1.5"
	"checkout-copy|checkout A, copy from bare repo|checkout --force-copy bench/a DEST||"
	"checkout-user|checkout A, -U from bare-user repo|checkout -U bench/a DEST||"
	"fsck|fsck, bare-user repo holding A and B|fsck|0.5|"
	"prune|prune after deleting ref of A, bare-user|refs --delete bench/a (untimed); prune --refs-only||"
	"prune-depth0|prune --depth=0 after deleting ref of A, bare-user|refs --delete bench/a (untimed); prune --refs-only --depth=0||"
	"pull-archive|pull A over HTTP into an archive repo|pull origin bench/main@A (fresh repo)|1.0|"
	"pull-archive-incr|pull B over HTTP into an archive repo holding A|pull origin bench/main (repo holding A)|1.0|"
	"pull-bare-user|pull A over HTTP into a bare-user repo|pull origin bench/main@A (fresh repo)|1.0|"
	"pull-bare-user-incr|pull B over HTTP into a bare-user repo holding A|pull origin bench/main (repo holding A)|1.0|"
	"pull-archive-rtt|pull A into an archive repo, added RTT|pull origin bench/main@A (fresh repo)|0.5|"
	"pull-archive-incr-rtt|pull B into an archive repo holding A, added RTT|pull origin bench/main (repo holding A)|0.5|"
	"pull-bare-user-rtt|pull A into a bare-user repo, added RTT|pull origin bench/main@A (fresh repo)|0.5|"
	"pull-bare-user-incr-rtt|pull B into a bare-user repo holding A, added RTT|pull origin bench/main (repo holding A)|0.5|"
	"local-archive|pull-local A from an archive repo, fresh bare-user repo|pull-local SRC bench/a (SRC: the reference's archive repo holding A and B)|0.5|"
	"local-archive-incr|pull-local B from an archive repo, bare-user repo holding A|pull-local SRC bench/b (repo holding A)|0.5|"
	"local-bare-user|pull-local A from a bare-user repo, fresh bare-user repo (hard links)|pull-local SRC bench/a (SRC: the reference's bare-user repo)|0.5|"
	"local-bare|pull-local A from an archive repo, fresh bare repo (a sysroot's)|pull-local SRC bench/a (fresh bare repo)|0.5|"
	"local-file-incr|pull B over file:// from an archive repo, bare-user repo holding A|pull origin bench/b (remote url=file://SRC; repo holding A)|0.5|"
	"delta-ab|static delta A → B, archive repo|static-delta generate --from=bench/a --to=bench/b --filename=DIR/superblock|0.5|"
	"delta-scratch|static delta from scratch to B, archive repo|static-delta generate --empty --to=bench/b --filename=DIR/superblock|0.5|"
	"delta-apply-ab|apply the reference's A → B delta, bare-user repo holding A|static-delta apply-offline DELTA/superblock (repo holding A; delta without fallbacks)|1.0|"
	"delta-apply-scratch|apply the reference's from-scratch delta to B, empty bare-user repo|static-delta apply-offline DELTA/superblock (fresh repo; delta without fallbacks)|1.0|"
)
RSS_TARGET=1.0
# shellcheck source=bench/deploy.sh
source "$HERE/deploy.sh" # deploy cases: CASE_TABLE entries, deploy_setup, run_one_deploy

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	printf '[bench] error: %s\n' "$*" >&2
	[[ -n ${W:-} && -d ${W:-} ]] && printf '%s\n' "$*" >"$W/last-error"
	exit 1
}

case_names() { local c; for c in "${CASE_TABLE[@]}"; do printf '%s\n' "${c%%|*}"; done; }

if [[ ${1:-} == --list ]]; then
	case_names
	exit 0
elif [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
elif [[ $# -gt 0 ]]; then
	die "unknown argument: $1 (configure with environment variables; see the header of $0)"
fi

# ---------------------------------------------------------------------------------------
# Preconditions

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $FAST_RUNS =~ ^[1-9][0-9]*$ ]] || die "FAST_RUNS must be a positive integer"
[[ $PULL_RUNS =~ ^[1-9][0-9]*$ ]] || die "PULL_RUNS must be a positive integer"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be an integer"
[[ $(id -u) == 0 ]] || die "run as root: bare-mode commits keep ownership and the trees are root-owned"
if ! /usr/bin/time --version 2>&1 | grep -q GNU; then
	die "GNU time is needed at /usr/bin/time: apt-get install -y time"
fi
command -v jq >/dev/null || die "jq is needed for the JSON output: apt-get install -y jq"
for t in a b; do
	[[ -s $CACHE/rootfs-$t.tar ]] || die "$CACHE/rootfs-$t.tar missing: run bench/mktrees.sh first"
done

REFERENCE=$(command -v "$REFERENCE") || die "reference binary not found"
if [[ $SELF == 1 ]]; then
	[[ -n ${GOSTREE:-} && $(command -v "$GOSTREE" || true) != "$REFERENCE" ]] &&
		log "SELF=1: ignoring GOSTREE=$GOSTREE, running the reference against itself"
	GOSTREE=$REFERENCE
else
	[[ -n ${GOSTREE:-} ]] || die "set GOSTREE=path/to/gostree (or SELF=1 for the noise check)"
	GOSTREE=$(command -v "$GOSTREE") || die "gostree binary not found"
fi
GOSTREE=$(realpath "$GOSTREE")
REFERENCE=$(realpath "$REFERENCE")

SELECTED=()
if [[ $CASES == all ]]; then
	mapfile -t SELECTED < <(case_names)
else
	for c in ${CASES//,/ }; do
		case_names | grep -qx -- "$c" || die "unknown case '$c' (see $0 --list)"
		SELECTED+=("$c")
	done
fi

# The pull cases serve a repository with nginx, directly and through bench/latproxy.
PULL=0
for c in "${SELECTED[@]}"; do [[ $c == pull-* ]] && PULL=1; done
if ((PULL)); then
	NGINX=${NGINX:-/usr/sbin/nginx}
	[[ -x $NGINX ]] || NGINX=$(command -v nginx) ||
		die "nginx is needed for the pull cases: apt-get install -y nginx-light (or set CASES without pull-*)"
	command -v curl >/dev/null || die "curl is needed for the pull cases: apt-get install -y curl"
	[[ -n ${LATPROXY:-} ]] || command -v go >/dev/null ||
		die "go is needed to build bench/latproxy for the pull cases (or set LATPROXY)"
fi

fstype=$(stat -f -c %T "$BENCH_TMP")
[[ $fstype == tmpfs ]] ||
	log "warning: $BENCH_TMP is $fstype, not tmpfs; disk timings drift (see bench/README.md)"
avail_mb=$(($(stat -f -c '%a*%S' "$BENCH_TMP") / 1000000))
((avail_mb >= 6000)) || log "warning: only $avail_mb MB free in $BENCH_TMP (about 6 GB is needed at RUNS=5)"

W=$(mktemp -d "$BENCH_TMP/gostree-bench.XXXXXX")
PIDS=() # background servers (nginx, latproxy), stopped on exit
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [[ ${KEEP:-0} == 1 ]]; then
		log "kept work directory $W"
	else
		rm -rf --one-file-system "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$W/logs" "$W/shared" "$W/run"
SAMPLES=$W/samples.tsv
CHECKS=$W/checks.tsv
: >"$SAMPLES"
: >"$CHECKS"

# Wall clock without forking (bash >= 5 has EPOCHREALTIME); fall back to date.
now_us() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then
		local t=${EPOCHREALTIME/[.,]/}
		printf '%s' "$t"
	else
		printf '%s' "$(($(date +%s%N) / 1000))"
	fi
}

us_to_s() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }

# System-wide CPU pressure (PSI "some" total, microseconds): time in which some runnable task
# waited for a CPU. Its growth during a timed command measures interference from other load.
cpu_stall_us() {
	[[ -r /proc/pressure/cpu ]] || return 0
	local kind rest
	while read -r kind _ _ _ rest; do
		[[ $kind == some ]] && printf '%s' "${rest#total=}" && return 0
	done </proc/pressure/cpu
}

bin_of() {
	case $1 in
	gostree) printf '%s' "$GOSTREE" ;;
	reference) printf '%s' "$REFERENCE" ;;
	*) die "no binary for $1" ;;
	esac
}

# quiet LOGNAME CMD...: run an untimed setup step, keep its output, abort on failure.
quiet() {
	local logf="$W/logs/$1.log"
	shift
	if ! "$@" >>"$logf" 2>&1; then
		tail -n 20 "$logf" >&2
		die "setup step failed: $* ($(tail -n1 "$logf"))"
	fi
}

# timed CASE RUN TOOL ORDER CMD...: run CMD under GNU time and record one sample.
timed() {
	local case=$1 run=$2 tool=$3 order=$4
	shift 4
	local tf="$W/time.out" logf="$W/logs/$case.$run.$tool.log" load t0 t1 u s m ivcsw p0 p1
	local n0="" net=$'\t\t\t'
	local -a pre=()
	if ((NICE != 0)); then
		# New session => new scheduler autogroup; give it (and the process) the nice value.
		# shellcheck disable=SC2016 # expanded by the inner sh
		pre=(setsid -w sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' "$NICE")
	fi
	# Untimed pre-touch of the binary and its libraries, so page-cache misses are not charged.
	[[ $tool == cp-al ]] || "$1" --version >/dev/null 2>&1 || true
	[[ $case == pull-* ]] && n0=$(net_mark)
	read -r load _ </proc/loadavg
	p0=$(cpu_stall_us)
	t0=$(now_us)
	if ! /usr/bin/time -f '%U %S %M %c' -o "$tf" "${pre[@]}" "$@" >"$logf" 2>&1; then
		tail -n 20 "$logf" >&2
		die "$case run $run ($tool) failed: $* ($(tail -n1 "$logf"))"
	fi
	t1=$(now_us)
	p1=$(cpu_stall_us)
	read -r u s m ivcsw <"$tf"
	[[ -n $n0 ]] && net=$(net_since "$n0")
	local us=$((t1 - t0)) wall stall=""
	wall=$(us_to_s "$us")
	[[ -n $p0 && -n $p1 ]] && stall=$(us_to_s $((p1 - p0)))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$run" "$tool" "$order" \
		"$wall" "$u" "$s" "$m" "$load" "$stall" "$ivcsw" "$net" >>"$SAMPLES"
	local nettext=""
	if [[ -n $n0 ]]; then
		local nreq nbytes _nbody nconns
		IFS=$'\t' read -r nreq nbytes _nbody nconns <<<"$net"
		nettext=$(printf '  %5s req %6s MB %3s conn' "$nreq" "$((nbytes / 1000000))" "$nconns")
	fi
	printf '  %-18s run %-2s %-9s wall %8s s  user %5s s  sys %5s s  rss %4s MiB  cpu stall %s s%s\n' \
		"$case" "$run" "$tool" "${wall%???}" "$u" "$s" "$((m / 1024))" "${stall%???}" "$nettext" >&2
}

check() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$CHECKS"; }

# manifest DIR: digest of path, type, mode, owner, size and symlink target of every entry.
manifest() {
	(cd "$1" && find . -printf '%p %y %m %U %G %s %l\n' | LC_ALL=C sort | md5sum | cut -c1-32)
}

objcount() { find "$1/objects" -type f | wc -l; }

# ---------------------------------------------------------------------------------------
# Trees and shared (per-tool, read-only) repositories

log "work directory: $W ($fstype)"
log "extracting trees"
TA=$W/trees/a
TB=$W/trees/b
for t in a b; do
	mkdir -p "$W/trees/$t"
	tar --xattrs --xattrs-include='*' --numeric-owner -xpf "$CACHE/rootfs-$t.tar" -C "$W/trees/$t"
done
MANIFEST_A=$(manifest "$TA")

commit_a() { quiet "$3" "$1" --repo="$2" commit -b bench/a -s A --timestamp=$TS_A --tree=dir="$TA"; }
commit_b() {
	local parent
	parent=$("$1" --repo="$2" rev-parse bench/a)
	quiet "$3" "$1" --repo="$2" commit -b bench/b -s B --timestamp=$TS_B --parent="$parent" --tree=dir="$TB"
}

# shared TOOL KIND: path of a repository made once by TOOL itself; KIND is
# bare-a (bare, holds A) or bu-ab (bare-user, holds A on bench/a and B on bench/b, B's parent A),
# archive-ab (the same in an archive repository, for the delta cases),
# bu-a (bare-user, holds A only, for applying deltas), refdelta-ab and refdelta-scratch (a delta
# the reference generated from its archive-ab into --filename=DIR/superblock; DIR is returned),
# or pulled-a-MODE (a MODE repo that pulled A from the pull server as origin:bench/main).
shared() {
	local tool=$1 kind=$2 bin repo
	bin=$(bin_of "$tool")
	repo=$W/shared/$tool-$kind
	if [[ ! -d $repo ]]; then
		log "setup: $kind repository for $tool"
		case $kind in
		bare-a | bu-a)
			local mode=bare
			[[ $kind == bu-a ]] && mode=bare-user
			quiet "setup-$tool-$kind" "$bin" --repo="$repo" init --mode=$mode
			commit_a "$bin" "$repo" "setup-$tool-$kind"
			;;
		refdelta-*)
			local src from=(--from=bench/a)
			src=$(shared "$tool" archive-ab)
			[[ $kind == refdelta-scratch ]] && from=(--empty)
			mkdir -p "$repo"
			# No fallback objects: apply-offline refuses deltas that have any.
			quiet "setup-$tool-$kind" "$bin" --repo="$src" static-delta generate "${from[@]}" --min-fallback-size=0 --to=bench/b --filename="$repo/superblock"
			;;
		bu-ab | archive-ab)
			local mode=bare-user
			[[ $kind == archive-ab ]] && mode=archive
			quiet "setup-$tool-$kind" "$bin" --repo="$repo" init --mode=$mode
			commit_a "$bin" "$repo" "setup-$tool-$kind"
			commit_b "$bin" "$repo" "setup-$tool-$kind"
			;;
		pulled-a-*) # A pulled from the pull server, without added latency
			quiet "setup-$tool-$kind" "$bin" --repo="$repo" init --mode="${kind#pulled-a-}"
			quiet "setup-$tool-$kind" "$bin" --repo="$repo" remote add --no-gpg-verify origin "$PULL_URL"
			quiet "setup-$tool-$kind" "$bin" --repo="$repo" pull origin "bench/main@$PULL_A"
			;;
		esac
	fi
	printf '%s' "$repo"
}

# ---------------------------------------------------------------------------------------
# Pull cases: an archive repository written by the reference, with A and then B committed on
# the same branch, served by nginx on loopback: directly, and through bench/latproxy, which
# adds PULL_RTT to every round trip. Both tools' requests are counted in nginx's access log.

PULL_URL=""     # the repository, served directly
PULL_URL_RTT="" # the same through latproxy
NET_PORT=""     # nginx's port
NET_LOG=""      # nginx's access log

# nginx_conf PREFIX ROOT PORT: one foreground process (no master, so no user switch), sendfile,
# no listings, one tab-separated access-log line per request: status, body bytes, bytes sent
# (headers included), connection serial number, URI.
nginx_conf() {
	local t
	printf 'daemon off;\nmaster_process off;\nworker_processes 1;\n'
	printf 'pid %s/nginx.pid;\nerror_log %s/error.log warn;\n' "$1" "$1"
	printf 'events {\n\tworker_connections 4096;\n}\nhttp {\n'
	# shellcheck disable=SC2016 # nginx variables
	printf '\tlog_format bench "$status\\t$body_bytes_sent\\t$bytes_sent\\t$connection\\t$request_uri";\n'
	printf '\taccess_log %s/access.log bench;\n' "$1"
	for t in client_body proxy fastcgi uwsgi scgi; do printf '\t%s_temp_path %s/%s_temp;\n' "$t" "$1" "$t"; done
	printf '\tdefault_type application/octet-stream;\n\ttypes {}\n'
	printf '\tsendfile on;\n\ttcp_nopush on;\n\tkeepalive_requests 100000;\n\tkeepalive_timeout 300s;\n'
	printf '\tserver {\n\t\tlisten 127.0.0.1:%s;\n\t\troot %s;\n\t\tautoindex off;\n\t\tlocation / {\n\t\t}\n\t}\n}\n' "$3" "$2"
}

# start_bg PIDFILE LOG CMD...: start a server in the background and remember its PID.
start_bg() {
	"${@:3}" >"$2" 2>&1 &
	PIDS+=("$!")
	printf '%s' "$!" >"$1"
}

setup_pull_server() {
	local srv=$W/serve repo=$W/serve/repo ng=$W/serve/nginx port="" pid i
	mkdir -p "$ng"
	log "setup: archive repository holding A, then B on bench/main, for the pull cases (reference)"
	quiet setup-serve "$REFERENCE" --repo="$repo" init --mode=archive
	quiet setup-serve "$REFERENCE" --repo="$repo" commit -b bench/main -s A --timestamp=$TS_A --tree=dir="$TA"
	PULL_A=$("$REFERENCE" --repo="$repo" rev-parse bench/main)
	quiet setup-serve "$REFERENCE" --repo="$repo" commit -b bench/main -s B --timestamp=$TS_B --tree=dir="$TB"
	PULL_B=$("$REFERENCE" --repo="$repo" rev-parse bench/main)
	quiet setup-serve "$REFERENCE" --repo="$repo" summary -u
	log "setup: served repository: $(objcount "$repo") objects, $(du -sm "$repo" | cut -f1) MB"

	# A free port may be taken between the choice and nginx's bind: retry.
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		nginx_conf "$ng" "$srv" "$port" >"$ng/nginx.conf"
		start_bg "$ng/pid" "$ng/stderr" "$NGINX" -p "$ng/" -c "$ng/nginx.conf" -e "$ng/error.log"
		pid=$(<"$ng/pid")
		for ((i = 0; i < 500; i++)); do
			curl -sf -o /dev/null "http://127.0.0.1:$port/repo/config" && break 2
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		port=""
	done
	[[ -n $port ]] || die "nginx did not start: $(tail -n 3 "$ng/error.log" "$ng/stderr" 2>/dev/null | tr '\n' ' ')"
	NET_PORT=$port
	NET_LOG=$ng/access.log
	PULL_URL=http://127.0.0.1:$port/repo

	local proxy=${LATPROXY:-}
	if [[ -z $proxy ]]; then
		proxy=$W/latproxy
		(cd "$HERE/.." && go build -o "$proxy" ./bench/latproxy) || die "building bench/latproxy failed"
	fi
	start_bg "$ng/latproxy.pid" "$ng/latproxy.log" "$proxy" -upstream "127.0.0.1:$port" -rtt "$PULL_RTT" -addr-file "$ng/latproxy.addr"
	for ((i = 0; i < 500; i++)); do
		[[ -s $ng/latproxy.addr ]] && break
		kill -0 "$(<"$ng/latproxy.pid")" 2>/dev/null || die "latproxy failed: $(cat "$ng/latproxy.log")"
		sleep 0.02
	done
	[[ -s $ng/latproxy.addr ]] || die "latproxy did not start"
	PULL_URL_RTT=http://$(<"$ng/latproxy.addr")/repo
	log "setup: nginx serves $PULL_URL; with $PULL_RTT RTT at $PULL_URL_RTT; A=$PULL_A B=$PULL_B"
}

# net_mark: the number of lines in the access log once every earlier request is in it. nginx
# logs a request when it is done; a request of our own, once logged, marks the end (the single
# nginx process handles events in order).
net_mark() {
	# Runs in a command substitution: the marker is unique by time and process, not a counter.
	local marker i
	marker=/.bench-sync-$(now_us)-$BASHPID
	curl -s -o /dev/null "http://127.0.0.1:$NET_PORT$marker" || true
	for ((i = 0; i < 500; i++)); do
		grep -qF -- "$marker" "$NET_LOG" && break
		sleep 0.01
	done
	wc -l <"$NET_LOG"
}

# net_since MARK: requests, bytes sent (headers included), body bytes and connections logged
# after line MARK, the benchmark's own markers excepted, tab-separated.
net_since() {
	local end
	end=$(net_mark)
	awk -F'\t' -v from="$1" -v to="$end" '
		NR > from && NR <= to && $5 !~ /^\/\.bench-sync-/ { n++; b += $3; body += $2; if (!($4 in c)) { c[$4]; nc++ } }
		END { printf "%d\t%d\t%d\t%d", n, b, body, nc }' "$NET_LOG"
}

# ---------------------------------------------------------------------------------------
# One run of one tool in one case: untimed preparation, the timed command, untimed checks.

run_one() {
	local case=$1 run=$2 tool=$3 order=$4 bin="" dir repo dest
	[[ $tool == cp-al ]] || bin=$(bin_of "$tool")
	dir=$W/run/$case/$run-$tool
	mkdir -p "$dir"
	repo=$dir/repo
	dest=$dir/dest
	case $case in
	commit-archive | commit-bare | commit-bare-user)
		quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" init --mode="${case#commit-}"
		timed "$case" "$run" "$tool" "$order" \
			"$bin" --repo="$repo" commit -b bench/a -s A --timestamp=$TS_A --tree=dir="$TA"
		check "$case" "$run" "$tool" commit "$("$bin" --repo="$repo" rev-parse bench/a)"
		;;
	commit-incremental)
		quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" init --mode=bare-user
		commit_a "$bin" "$repo" "$case.$run.$tool.setup"
		local parent
		parent=$("$bin" --repo="$repo" rev-parse bench/a)
		timed "$case" "$run" "$tool" "$order" \
			"$bin" --repo="$repo" commit -b bench/b -s B --timestamp=$TS_B --parent="$parent" --tree=dir="$TB"
		check "$case" "$run" "$tool" commit "$("$bin" --repo="$repo" rev-parse bench/b)"
		;;
	checkout-hardlink)
		if [[ $tool == cp-al ]]; then
			timed "$case" "$run" "$tool" "$order" cp -al "$TA" "$dest"
		else
			repo=$(shared "$tool" bare-a)
			timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" checkout bench/a "$dest"
		fi
		if ((run == 1)); then
			check "$case" "$run" "$tool" manifest "$(manifest "$dest")"
			[[ $tool == cp-al ]] && check "$case" 0 tree-a manifest "$MANIFEST_A"
		fi
		;;
	checkout-copy)
		repo=$(shared "$tool" bare-a)
		timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" checkout --force-copy bench/a "$dest"
		if ((run == 1)); then
			check "$case" "$run" "$tool" manifest "$(manifest "$dest")"
			[[ $tool == reference ]] && check "$case" 0 tree-a manifest "$MANIFEST_A"
		fi
		;;
	checkout-user)
		repo=$(shared "$tool" bu-ab)
		timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" checkout -U bench/a "$dest"
		((run == 1)) && check "$case" "$run" "$tool" manifest "$(manifest "$dest")"
		;;
	fsck)
		repo=$(shared "$tool" bu-ab)
		timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" fsck
		;;
	prune | prune-depth0)
		cp -a "$(shared "$tool" bu-ab)" "$repo"
		local before
		before=$(objcount "$repo")
		quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" refs --delete bench/a
		local -a extra=()
		[[ $case == prune-depth0 ]] && extra=(--depth=0)
		timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" prune --refs-only "${extra[@]}"
		check "$case" "$run" "$tool" objects "$before->$(objcount "$repo")"
		;;
	delta-ab | delta-scratch)
		# The delta goes outside the shared repository (--filename), so
		# every run starts from the same repository. Its size is a check.
		repo=$(shared "$tool" archive-ab)
		mkdir -p "$dest"
		local -a from=(--from=bench/a)
		[[ $case == delta-scratch ]] && from=(--empty)
		timed "$case" "$run" "$tool" "$order" \
			"$bin" --repo="$repo" static-delta generate "${from[@]}" --to=bench/b --filename="$dest/superblock"
		check "$case" "$run" "$tool" size "$(du -sb "$dest" | cut -f1)"
		if ((run == 1)) && command -v xz >/dev/null; then
			# Every part is a compression byte, then an xz stream (or raw
			# data): liblzma must accept each stream.
			local part
			for part in "$dest"/[0-9]*; do
				[[ $(head -c1 "$part") == x ]] || continue
				tail -c +2 "$part" | xz -t 2>/dev/null || die "$case ($tool): part ${part##*/} is not a valid xz stream"
			done
		fi
		;;
	delta-apply-ab | delta-apply-scratch)
		# Both tools apply the same delta, the reference's, into a fresh
		# copy of their own repository holding A (or into an empty one).
		local delta
		delta=$(shared reference "refdelta-${case#delta-apply-}")
		if [[ $case == delta-apply-ab ]]; then
			cp -a "$(shared "$tool" bu-a)" "$repo"
		else
			quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" init --mode=bare-user
		fi
		timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" static-delta apply-offline "$delta/superblock"
		local b
		b=$("$(bin_of reference)" --repo="$(shared reference archive-ab)" rev-parse bench/b)
		if ((run == 1)); then
			# Each tool's result must pass the other's fsck.
			local other=reference
			[[ $tool == reference ]] && other=gostree
			quiet "$case.$run.$tool.fsck" "$(bin_of "$other")" --repo="$repo" fsck
		fi
		check "$case" "$run" "$tool" applied "$("$bin" --repo="$repo" ls "$b" /usr/bin | wc -l) entries in $b:/usr/bin, objects=$(objcount "$repo")"
		;;
	local-*)
		# Every tool pulls from the same source, written by the reference.
		local src want ref=bench/a
		src=$(shared reference archive-ab)
		[[ $case == local-bare-user ]] && src=$(shared reference bu-ab)
		case $case in
		local-archive | local-bare-user | local-bare)
			local mode=bare-user
			[[ $case == local-bare ]] && mode=bare
			quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" init --mode=$mode
			timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" pull-local "$src" bench/a
			;;
		local-archive-incr)
			cp -a "$(shared "$tool" bu-a)" "$repo"
			ref=bench/b
			timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" pull-local "$src" bench/b
			;;
		local-file-incr)
			cp -a "$(shared "$tool" bu-a)" "$repo"
			quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" remote add --no-gpg-verify src "file://$src"
			ref=src:bench/b
			timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" pull src bench/b
			;;
		esac
		want=$("$(bin_of reference)" --repo="$src" rev-parse "${ref#src:}")
		check "$case" "$run" "$tool" commit "$("$bin" --repo="$repo" rev-parse "$ref")"
		[[ $("$bin" --repo="$repo" rev-parse "$ref") == "$want" ]] || die "$case ($tool): $ref is not $want"
		;;
	pull-*)
		local mode=archive url=$PULL_URL want
		[[ $case == *-rtt ]] && url=$PULL_URL_RTT
		[[ $case == pull-bare-user* ]] && mode=bare-user
		if [[ $case == *-incr* ]]; then
			cp -a "$(shared "$tool" "pulled-a-$mode")" "$repo"
			quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" config set --group='remote "origin"' url "$url"
			timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" pull origin bench/main
			want=$PULL_B
		else
			quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" init --mode="$mode"
			quiet "$case.$run.$tool.setup" "$bin" --repo="$repo" remote add --no-gpg-verify origin "$url"
			timed "$case" "$run" "$tool" "$order" "$bin" --repo="$repo" pull origin "bench/main@$PULL_A"
			want=$PULL_A
		fi
		local got
		got=$("$bin" --repo="$repo" rev-parse origin:bench/main)
		[[ $got == "$want" ]] || die "$case run $run ($tool): origin:bench/main is $got, expected $want"
		check "$case" "$run" "$tool" pulled "$got objects=$(objcount "$repo")"
		;;
	deploy | deploy-upgrade) run_one_deploy "$case" "$run" "$tool" "$order" ;;
	*) die "no such case: $case" ;;
	esac
	return 0
}

run_case() {
	local case=$1 run i n=$RUNS tools=(gostree reference)
	[[ $case == checkout-hardlink ]] && tools+=(cp-al)
	# Shared repositories are made before the first timed run, outside the alternation.
	case $case in
	checkout-hardlink | checkout-copy) shared gostree bare-a >/dev/null && shared reference bare-a >/dev/null ;;
	checkout-user | fsck | prune | prune-depth0) shared gostree bu-ab >/dev/null && shared reference bu-ab >/dev/null ;;
	delta-apply-*) shared reference "refdelta-${case#delta-apply-}" >/dev/null && shared gostree bu-a >/dev/null && shared reference bu-a >/dev/null ;;
	delta-*) shared gostree archive-ab >/dev/null && shared reference archive-ab >/dev/null ;;
	pull-archive-incr*) shared gostree pulled-a-archive >/dev/null && shared reference pulled-a-archive >/dev/null ;;
	pull-bare-user-incr*) shared gostree pulled-a-bare-user >/dev/null && shared reference pulled-a-bare-user >/dev/null ;;
	deploy | deploy-upgrade) deploy_setup ;;
	esac
	case $case in
	checkout-hardlink | checkout-user | prune | prune-depth0) n=$FAST_RUNS ;;
	pull-*-rtt) n=$PULL_RUNS ;;
	esac
	log "case $case ($n runs per tool)"
	for ((run = 1; run <= n; run++)); do
		local order=("${tools[@]}")
		if ((run % 2 == 0)); then # alternate who goes first
			order=()
			for ((i = ${#tools[@]} - 1; i >= 0; i--)); do order+=("${tools[i]}"); done
		fi
		for i in "${!order[@]}"; do
			run_one "$case" "$run" "${order[i]}" "$((i + 1))"
		done
	done
	# Delete this case's targets in one batch, then let the system settle.
	rm -rf --one-file-system "$W/run/$case"
	sleep "$PAUSE"
}

# ---------------------------------------------------------------------------------------
# Main

START=$(date +%s)
if [[ $SELF == 1 ]]; then
	log "gostree:   $GOSTREE (SELF=1: the reference against itself)"
else
	log "gostree:   $GOSTREE"
fi
log "reference: $REFERENCE"
log "runs: $RUNS ($FAST_RUNS for sub-second cases, $PULL_RUNS for pulls with latency), nice: $NICE, cases: ${SELECTED[*]}"
((PULL)) && setup_pull_server
# Each case runs in a subshell: if a command fails (say, an option gostree lacks so far), the
# case is recorded as failed and the run goes on with the next case.
: >"$W/failed.tsv"
for c in "${SELECTED[@]}"; do
	# Not `if ! (...)`: errexit would be off inside the subshell.
	set +e
	(
		set -e
		run_case "$c"
	)
	rc=$?
	set -e
	if ((rc != 0)); then
		log "case $c FAILED, continuing with the next case"
		printf '%s\t%s\n' "$c" "$(tr '\t\n' '  ' <"$W/last-error" 2>/dev/null | sed 's/ *$//')" >>"$W/failed.tsv"
		rm -rf --one-file-system "$W/run/$c"
	fi
done
ELAPSED=$(($(date +%s) - START))

# The Version: line of `--version` (ostree prints YAML), else its first line.
version_of() {
	local out v
	out=$("$1" --version 2>&1 || true)
	v=$(sed -n "s/^ *Version: *//p" <<<"$out" | head -n1 | tr -d "'\"")
	printf '%s' "${v:-$(head -n1 <<<"$out")}"
}
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
case_table=$(printf '%s\n' "${CASE_TABLE[@]}")
conf_a=$(sed -n 2p "$CACHE/rootfs-a.conf" 2>/dev/null || true)
conf_b=$(sed -n 2p "$CACHE/rootfs-b.conf" 2>/dev/null || true)

mkdir -p "$(dirname "$OUT")"
jq -n -L "$HERE" \
	--rawfile samples "$SAMPLES" --rawfile checks "$CHECKS" --rawfile failed "$W/failed.tsv" --arg cases "$case_table" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" \
	--arg cpu "$cpu_model" --argjson nproc "$(nproc)" --argjson mem_kb "$mem_kb" \
	--arg gostree "$GOSTREE" --arg gostree_version "$(version_of "$GOSTREE")" \
	--arg reference "$REFERENCE" --arg reference_version "$(version_of "$REFERENCE")" \
	--argjson self "$([[ $SELF == 1 ]] && echo true || echo false)" \
	--argjson runs "$RUNS" --argjson fast_runs "$FAST_RUNS" --argjson pull_runs "$PULL_RUNS" --arg pull_rtt "$PULL_RTT" --argjson nice "$NICE" --arg tmp "$BENCH_TMP" --arg fstype "$fstype" \
	--argjson elapsed "$ELAPSED" --argjson rss_target "$RSS_TARGET" \
	--arg tree_a "$conf_a" --arg tree_b "$conf_b" --arg selected "${SELECTED[*]}" '
	include "stats";
	def rows($text): $text | split("\n") | map(select(length > 0) | split("\t"));
	def num: if . == "" then null else tonumber end;
	(rows($samples) | map({case: .[0], run: (.[1] | tonumber), tool: .[2],
		order: (.[3] | tonumber), wall_s: (.[4] | tonumber), user_s: (.[5] | tonumber),
		sys_s: (.[6] | tonumber), maxrss_kb: (.[7] | tonumber), load1: (.[8] | tonumber),
		cpu_stall_s: (.[9] // "" | num), invol_ctxsw: (.[10] // "" | num),
		net_requests: (.[11] // "" | num), net_bytes: (.[12] // "" | num),
		net_body_bytes: (.[13] // "" | num), net_conns: (.[14] // "" | num)})) as $S
	| (rows($checks) | map({case: .[0], run: (.[1] | tonumber), tool: .[2], kind: .[3], value: .[4]})) as $C
	| ($selected | split(" ")) as $sel
	| {
		format: "gostree-bench/1",
		date: $date,
		self: $self,
		runs: $runs,
		fast_runs: $fast_runs,
		pull_runs: $pull_runs,
		pull_rtt: $pull_rtt,
		nice: $nice,
		elapsed_s: $elapsed,
		method: "tmpfs targets, tools alternated run by run on fresh targets; ratio = median of per-run gostree/reference wall ratios; cpu_ratio = ratio of median user+sys",
		host: {kernel: $kernel, cpu: $cpu, nproc: $nproc, mem_kb: $mem_kb, tmp: $tmp, tmp_fstype: $fstype},
		tools: {gostree: {path: $gostree, version: $gostree_version},
		        reference: {path: $reference, version: $reference_version}},
		trees: {a: $tree_a, b: $tree_b},
		cases: [ ($cases | split("\n") | map(split("|")))[]
			| select(.[0] as $n | $sel | index($n))
			| {name: .[0], title: .[1], command: .[2],
			   target: {wall_ratio_max: (.[3] | num), vs_cp_al_max: (.[4] | num), rss_ratio_max: $rss_target}} as $c
			| $c + {samples: [$S[] | select(.case == $c.name) | del(.case)],
			        checks: [$C[] | select(.case == $c.name) | del(.case)],
			        error: ([rows($failed)[] | select(.[0] == $c.name) | .[1]] | first)}
			| . + {summary: summarize} ]
	}' >"$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"

log "finished in $ELAPSED s; raw samples in $OUT"
printf '\n'
"$HERE/report.sh" --text "$OUT"
if [[ -s $W/failed.tsv ]]; then
	log "failed cases: $(cut -f1 "$W/failed.tsv" | tr '\n' ' ')"
	exit 1
fi
