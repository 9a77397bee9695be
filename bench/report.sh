#!/usr/bin/env bash
# report.sh: render bench/results.json (written by bench/run.sh) as a table.
#
#   bench/report.sh [--markdown | --text] [RESULTS.json]
#
# --markdown (default) prints a section suitable for docs/benchmarks.md; --text prints an
# aligned plain-text table (run.sh prints it at the end of a run). Statistics are recomputed
# from the raw samples with bench/stats.jq.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=markdown
FILE=""
for arg in "$@"; do
	case $arg in
	--markdown) MODE=markdown ;;
	--text) MODE=text ;;
	-h | --help)
		sed -n '2,8s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	-*)
		printf 'report.sh: unknown option %s\n' "$arg" >&2
		exit 2
		;;
	*) FILE=$arg ;;
	esac
done
FILE=${FILE:-${BENCH_OUT:-$HERE/results.json}}
[[ -r $FILE ]] || { printf 'report.sh: cannot read %s\n' "$FILE" >&2; exit 1; }
command -v jq >/dev/null || { printf 'report.sh: jq is needed: apt-get install -y jq\n' >&2; exit 1; }

# Rows: case, gostree median, reference median, ratio (min-max), CPU ratio, RSS, target.
# shellcheck disable=SC2016 # $names below are jq variables, not shell ones.
ROWS='
include "stats";
def mark($ok; $yes; $no): if $ok == null then "" elif $ok then " " + $yes else " " + $no end;
def rss($s): ($s.maxrss_kb_median | mib | fmt(0));
def cell_ratio($r): if $r == null or $r.median == null then "-"
  else ($r.median | fmt(2)) + " (" + ($r.min | fmt(2)) + "-" + ($r.max | fmt(2)) + ")" end;
.cases[] | . as $c | summarize as $s | $c.target as $t
| if $c.error != null then [$c.name, "-", "-", "FAILED", "-", "-", "see note"] | @tsv else .
| ( [ $c.name,
      ($s.gostree.wall_median | fmt(3)),
      ($s.reference.wall_median | fmt(3)),
      cell_ratio($s.wall_ratio),
      (if $text then ($s.wall_min_ratio | fmt(2)) else empty end),
      ($s.cpu_ratio | fmt(2)),
      (rss($s.gostree) + " / " + rss($s.reference) + " (" + ($s.rss_ratio | fmt(2)) + ")"),
      ([ (if $t.wall_ratio_max != null
            then "wall " + $le + " " + ($t.wall_ratio_max | fmt(1)) + mark($s.target_met.wall; $yes; $no)
            else empty end),
         (if $t.rss_ratio_max != null
            then "RSS " + $le + " " + ($t.rss_ratio_max | fmt(1)) + mark($s.target_met.rss; $yes; $no)
            else empty end) ] | join(", "))
    ],
    (if $s.cp_al != null then
      [ ($c.name + " vs cp -al"),
        ($s.gostree.wall_median | fmt(3)),
        (($s.cp_al.wall_median | fmt(3)) + " (cp -al)"),
        cell_ratio($s.vs_cp_al),
        (if $text then (ratio($s.gostree.wall_min; $s.cp_al.wall_min) | fmt(2)) else empty end),
        (ratio($s.gostree.cpu_median; $s.cp_al.cpu_median) | fmt(2)),
        (rss($s.gostree) + " / " + rss($s.cp_al)),
        (if $t.vs_cp_al_max != null
           then "wall " + $le + " " + ($t.vs_cp_al_max | fmt(1)) + " " + $x + " cp -al" + mark($s.target_met.vs_cp_al; $yes; $no)
           else "" end)
      ]
     else empty end)
  )
| @tsv end'

# shellcheck disable=SC2016 # jq string interpolation, not shell.
NOTES='
include "stats";
def bad: [.cases[] | . as $c | summarize as $s | select($s.checks_consistent == false)
  | "\($c.name): results differ between tools: " + ([$c.checks[] | "\(.tool) run \(.run) \(.kind)=\(.value)"] | unique | join("; "))];
"runs=\(.runs) (\(.fast_runs // .runs) for sub-second cases)  nice=\(.nice // 0)  self=\(.self)  date=\(.date)  elapsed=\(.elapsed_s)s",
"gostree:   \(.tools.gostree.path)  [\(.tools.gostree.version)]",
"reference: \(.tools.reference.path)  [\(.tools.reference.version)]",
"host: \(.host.cpu), \(.host.nproc) CPUs, \(.host.mem_kb / 1048576 | fmt(1)) GiB, kernel \(.host.kernel), targets in \(.host.tmp) (\(.host.tmp_fstype))",
"tree A: \(.trees.a)",
"tree B: \(.trees.b)",
(if .self then "SELF=1: both columns are the reference tool (noise check; expect ratios ~1.00)" else empty end),
(busy_fraction as $b | if $b != null and $b > 0.25 then
  "WARNING: the machine was busy: other tasks waited for a CPU during \([$b * 100, 100] | min | fmt(0))% of the timed wall time (median, PSI); ratios are unreliable"
  + (if (.nice // 0) == 0 then " - rerun on a quiet machine or with NICE=-10" else "" end)
  else empty end),
(bad[] | "WARNING: " + .),
(.cases[] | select(.error != null) | "FAILED: \(.name): \(.error)")'

# Pull cases: what nginx's access log recorded for each tool (medians over runs).
# shellcheck disable=SC2016 # jq variables
NETROWS='
include "stats";
def mb: if type == "number" then . / 1000000 else null end;
def pair($s; f; $d): (($s.gostree | f) | fmt($d)) + " / " + (($s.reference | f) | fmt($d));
.cases[] | select(.error == null) | . as $c | summarize as $s
| select($s.gostree.requests_median != null or $s.reference.requests_median != null)
| [ $c.name,
    pair($s; .requests_median; 0),
    pair($s; .net_bytes_median | mb; 1),
    pair($s; .net_conns_median; 0) ]
| @tsv'
NET_HEAD=(case "requests gostree / ref" "MB sent by nginx gostree / ref" "connections gostree / ref")

# align: tab-separated rows (the first a header) as an aligned plain-text table.
align() {
	awk -F'\t' '
		{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; if (NF > nf) nf = NF }
		END {
			for (r = 1; r <= n; r++) {
				line = ""
				for (i = 1; i <= nf; i++) line = line sprintf("%-" w[i] "s", cell[r, i]) (i < nf ? "  " : "")
				sub(/ +$/, "", line); print line
				if (r == 1) { line = ""; for (i = 1; i <= nf; i++) { s = ""; for (k = 0; k < w[i]; k++) s = s "-"; line = line s (i < nf ? "  " : "") } print line }
			}
		}'
}

# markdown_rows: tab-separated rows as Markdown table rows.
markdown_rows() {
	awk -F'\t' '{ s = "|"; for (i = 1; i <= NF; i++) { gsub(/\|/, "\\|", $i); s = s " " $i " |" } print s }'
}

HEAD=(case "gostree median s" "reference median s" "median pairwise ratio (min-max)" "CPU ratio" "peak RSS MiB gostree / ref (ratio)" target)
HEAD_TEXT=(case "gostree s" "reference s" "ratio g/ref (min-max)" "min/min" "CPU ratio" "RSS MiB g / ref (ratio)" target)

if [[ $MODE == text ]]; then
	jq -r -L "$HERE" "$NOTES" "$FILE"
	printf '\n'
	{
		(IFS=$'\t'; printf '%s\n' "${HEAD_TEXT[*]}")
		jq -r -L "$HERE" --arg yes ok --arg no MISSED --arg le "<=" --arg x x --argjson text true "$ROWS" "$FILE"
	} | align
	net=$(jq -r -L "$HERE" "$NETROWS" "$FILE")
	if [[ -n $net ]]; then
		printf '\n'
		{
			(IFS=$'\t'; printf '%s\n' "${NET_HEAD[*]}")
			printf '%s\n' "$net"
		} | align
	fi
else
	printf '### Results (%s)\n\n' "$(jq -r '.date' "$FILE")"
	jq -r -L "$HERE" "$NOTES" "$FILE" | sed 's/^/- /'
	printf '\n| %s |\n' "$(IFS='|'; printf '%s' "${HEAD[*]}" | sed 's/|/ | /g')"
	printf '|---|---:|---:|---:|---:|---:|---|\n'
	jq -r -L "$HERE" --arg yes "✓" --arg no "✗" --arg le "≤" --arg x "×" --argjson text false "$ROWS" "$FILE" |
		markdown_rows
	printf '\nRatios are gostree/reference: median of the per-run wall-time ratios (run i of each tool,\n'
	printf 'alternating which goes first), with min-max over runs. CPU ratio = median user+sys of gostree\n'
	printf 'over that of the reference. Targets: ✓ met, ✗ missed.\n'
	net=$(jq -r -L "$HERE" "$NETROWS" "$FILE")
	if [[ -n $net ]]; then
		printf '\nPull cases, from nginx'"'"'s access log (medians over runs; bytes include response headers):\n\n'
		printf '| %s |\n' "$(IFS='|'; printf '%s' "${NET_HEAD[*]}" | sed 's/|/ | /g')"
		printf '|---|---:|---:|---:|\n'
		printf '%s\n' "$net" | markdown_rows
	fi
fi
