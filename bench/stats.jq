# stats.jq: summary statistics for bench/results.json (used by run.sh and report.sh).
# Input of summarize: one case object {name, target, samples: [{run, tool, wall_s, user_s,
# sys_s, maxrss_kb, load1, ...}], checks: [...]}.

def median:
  map(select(. != null)) | sort | length as $n
  | if $n == 0 then null
    elif $n % 2 == 1 then .[($n - 1) / 2]
    else (.[$n / 2 - 1] + .[$n / 2]) / 2
    end;

def ratio($a; $b):
  if $a == null or $b == null or $b == 0 then null else $a / $b end;

# Ratios f(num)/f(den) over the runs in which both tools ran (pairwise, same run index).
def pairwise($s; $num; $den; f):
  [ $s[] | select(.tool == $num) | . as $x
    | $s[] | select(.tool == $den and .run == $x.run) | . as $y
    | ($x | f) as $a | ($y | f) as $b
    | if $b > 0 then $a / $b else empty end ];

# Targets are checked on the value as printed (two decimals), so a printed 1.00 meets <= 1.0.
def r2: if type == "number" then ((. * 100 + 0.5) | floor) / 100 else . end;

def spread: {n: length, median: median, min: min, max: max};

def toolstats($s; $t):
  ($s | map(select(.tool == $t))) as $x
  | if ($x | length) == 0 then null
    else {
      n: ($x | length),
      wall_median: ($x | map(.wall_s) | median),
      wall_min: ($x | map(.wall_s) | min),
      wall_max: ($x | map(.wall_s) | max),
      cpu_median: ($x | map(.user_s + .sys_s) | median),
      user_median: ($x | map(.user_s) | median),
      sys_median: ($x | map(.sys_s) | median),
      maxrss_kb_median: ($x | map(.maxrss_kb) | median),
      maxrss_kb_max: ($x | map(.maxrss_kb) | max),
      load1_median: ($x | map(.load1) | median),
      cpu_stall_frac_median: ($x | map(if .cpu_stall_s == null or .wall_s == 0 then null
                                       else .cpu_stall_s / .wall_s end) | median),
      invol_ctxsw_median: ($x | map(.invol_ctxsw) | median),
      # Pull cases: what nginx logged during the timed command.
      requests_median: ($x | map(.net_requests) | median),
      net_bytes_median: ($x | map(.net_bytes) | median),
      net_conns_median: ($x | map(.net_conns) | median)
    }
    end;

def summarize:
  .samples as $s
  | (.target // {}) as $t
  | toolstats($s; "gostree") as $g
  | toolstats($s; "reference") as $r
  | toolstats($s; "cp-al") as $c
  | (pairwise($s; "gostree"; "reference"; .wall_s) | spread) as $wr
  | (if $c == null then null else (pairwise($s; "gostree"; "cp-al"; .wall_s) | spread) end) as $vc
  | ratio($g.cpu_median; $r.cpu_median) as $cr
  | ratio($g.maxrss_kb_median; $r.maxrss_kb_median) as $rr
  | ([.checks[]? | select(.kind != "size") | .value] | unique) as $cv # sizes differ by design (delta cases)
  | {
      gostree: $g,
      reference: $r,
      cp_al: $c,
      wall_ratio: $wr,
      wall_min_ratio: ratio($g.wall_min; $r.wall_min),
      cpu_ratio: $cr,
      rss_ratio: $rr,
      vs_cp_al: $vc,
      checks_consistent: (if ($cv | length) == 0 then null else ($cv | length) == 1 end),
      target_met: {
        wall: (if $t.wall_ratio_max == null or $wr.median == null then null
               else ($wr.median | r2) <= $t.wall_ratio_max end),
        vs_cp_al: (if $t.vs_cp_al_max == null or $vc == null or $vc.median == null then null
                   else ($vc.median | r2) <= $t.vs_cp_al_max end),
        rss: (if $t.rss_ratio_max == null or $rr == null then null
              else ($rr | r2) <= $t.rss_ratio_max end)
      }
    };

# Median share of wall time during which some task on the machine waited for a CPU
# (PSI cpu "some"), over all samples of all cases; null without /proc/pressure.
def busy_fraction:
  [.cases[].samples[] | select(.cpu_stall_s != null and .wall_s > 0) | .cpu_stall_s / .wall_s]
  | median;

# Fixed-point formatting (jq has no printf). Non-numbers render as "-".
def fmt($d):
  if type != "number" then "-"
  else
    (if . < 0 then "-" else "" end) as $sign
    | (if . < 0 then -. else . end) as $v
    | (reduce range(0; $d) as $_ (1; . * 10)) as $m
    | (($v * $m + 0.5) | floor) as $i
    | ($i / $m | floor | tostring) as $int
    | if $d == 0 then $sign + $int
      else (($i % $m) | tostring) as $frac
        | $sign + $int + "." + ("0" * ($d - ($frac | length)) // "") + $frac
      end
  end;

def mib: if type == "number" then . / 1024 else null end;
