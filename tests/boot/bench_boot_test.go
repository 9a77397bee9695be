package boot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/testutil"
)

// BenchmarkBootPrepareRoot boots one deployment from one disk (a snapshot
// each time) with the same kernel, once with gostree-prepare-root and once
// with the reference's ostree-prepare-root in the initramfs, alternating
// which goes first, GOSTREE_BOOT_BENCH_PAIRS times (7). The guest measures
// prepare-root from its start to its exit (the initramfs then switches
// root) and one "gostree health run" without checks. Run it with
// bench/boot.sh; it boots for several minutes, whatever b.N is.
func BenchmarkBootPrepareRoot(b *testing.B) {
	k := benchKit(b)
	ctx := context.Background()
	pairs := 7
	if v, err := strconv.Atoi(os.Getenv("GOSTREE_BOOT_BENCH_PAIRS")); err == nil && v > 0 {
		pairs = v
	}
	ref, err := FetchRefPrepareRoot(ctx, k.Cache)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(k.Work, "bench-prepare-root")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	empty, err := buildEmptyGo(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	sides := []struct {
		name string
		w    Wrapped
	}{
		{"gostree", Wrapped{Binary: k.Bin.PrepareRoot, Path: DefaultPrepareRootPath, Baseline: empty}},
		{"reference", Wrapped{Binary: ref.Binary, Path: RefPrepareRootPath, Libs: ref.Libs, Baseline: empty}},
	}
	initrds := map[string]string{}
	for _, s := range sides {
		sub := filepath.Join(dir, s.name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		opts, err := s.w.InitramfsOptions(k.Kernel, sub)
		if err != nil {
			b.Fatal(err)
		}
		initrds[s.name] = filepath.Join(sub, "initramfs.img")
		if err := BuildInitramfs(ctx, opts, initrds[s.name]); err != nil {
			b.Fatal(err)
		}
	}
	d := newSmallDisk(b, k, filepath.Join(dir, "disk"), k.TreeInputs(), false)

	us := map[string][]float64{}
	var ratios, health, clock, baseline []float64
	for i := 0; i < pairs; i++ {
		order := []string{"gostree", "reference"}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		got := map[string]float64{}
		for _, name := range order {
			pr, c, bl, h := benchBoot(b, d, initrds[name])
			clock, baseline = append(clock, c), append(baseline, bl)
			got[name] = pr
			us[name] = append(us[name], pr)
			health = append(health, h)
		}
		ratios = append(ratios, got["gostree"]/got["reference"])
	}
	ourSize, err := fileSize(k.Bin.PrepareRoot)
	if err != nil {
		b.Fatal(err)
	}
	refBin, refAll, err := ref.Size()
	if err != nil {
		b.Fatal(err)
	}
	og, or := median(us["gostree"])/1000, median(us["reference"])/1000
	b.ReportMetric(og, "gostree-ms")
	b.ReportMetric(or, "reference-ms")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(health)/1000, "health-run-ms")
	b.ReportMetric(median(baseline)/1000, "empty-go-ms")
	b.ReportMetric(float64(ourSize), "gostree-bytes")
	b.ReportMetric(float64(refAll), "reference-bytes")
	b.Logf("pairs=%d kernel=%s reference=%s\n"+
		"prepare-root ms, gostree:   %s (median %.1f)\n"+
		"prepare-root ms, reference: %s (median %.1f)\n"+
		"pairwise ratios: %s (median %.2f, min %.2f, max %.2f)\n"+
		"clock read cost ms: median %.2f (included once in each time above)\n"+
		"an empty static Go program, started and exited, ms: median %.1f of %d\n"+
		"gostree health run (no checks) ms: median %.1f of %d\n"+
		"size: gostree-prepare-root %d bytes static; ostree-prepare-root %d bytes + %d libraries = %d bytes",
		pairs, k.Kernel.Version, ref.Version, msList(us["gostree"]), og, msList(us["reference"]), or,
		fmtList(ratios, 2), median(ratios), minOf(ratios), maxOf(ratios),
		median(clock)/1000, median(baseline)/1000, len(baseline), median(health)/1000, len(health), ourSize, refBin, len(ref.Libs), refAll)
}

var (
	prepareRootUS = regexp.MustCompile(`^PREPARE-ROOT-US=(\d+) rc=(\d+) clock_us=(\d+)`)
	baselineUS    = regexp.MustCompile(`^BASELINE-US=(\d+) rc=0`)
)

// benchBoot boots d's entry directly with initrd on a snapshot of the disk
// and returns the prepare-root and health-run times in microseconds.
// The clock's own cost (clock_us) and the baseline's time are returned too.
func benchBoot(b *testing.B, d *smallDisk, initrd string) (prepareRoot, clock, baseline, healthRun float64) {
	b.Helper()
	rep, r := d.boot(b, d.entry.QemuArgs(initrd))
	lines := r.Matching(prepareRootUS)
	if len(lines) != 1 {
		b.Fatalf("want one PREPARE-ROOT-US line, got %q", lines)
	}
	m := prepareRootUS.FindStringSubmatch(lines[0])
	if m[2] != "0" {
		b.Fatalf("prepare-root failed: %s", lines[0])
	}
	pr, _ := strconv.ParseFloat(m[1], 64)
	clock, _ = strconv.ParseFloat(m[3], 64)
	bl := r.Matching(baselineUS)
	if len(bl) != 1 {
		b.Fatalf("want one BASELINE-US line with rc=0, got %q", bl)
	}
	baseline, _ = strconv.ParseFloat(baselineUS.FindStringSubmatch(bl[0])[1], 64)
	h, err := strconv.ParseFloat(rep.Values["health_run_us"], 64)
	if err != nil || rep.Values["health_rc"] != "0" {
		b.Fatalf("health run: %q rc=%s", rep.Values["health_run_us"], rep.Values["health_rc"])
	}
	return pr, clock, baseline, h
}

// buildEmptyGo builds a static Go program whose main returns at once, as
// gostree-prepare-root is built: its time is the Go runtime's start and exit.
func buildEmptyGo(ctx context.Context, dir string) (string, error) {
	src := filepath.Join(dir, "empty.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "empty")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GO111MODULE=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w: %s", src, err, msg)
	}
	return out, nil
}

// benchKit is sharedKit for benchmarks.
func benchKit(b *testing.B) *Kit {
	b.Helper()
	testutil.RequiresRoot(b)
	if miss := MissingTools(); len(miss) > 0 {
		testutil.Skip(b, fmt.Sprintf("boot benchmarks need %v (scripts/boot-deps.sh installs them)", miss))
	}
	kitOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		kitVal, kitErr = NewKit(ctx, workDir)
	})
	if kitErr != nil {
		b.Fatal(kitErr)
	}
	return kitVal
}

func fileSize(p string) (int64, error) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(v []float64) float64 { return slices.Min(v) }
func maxOf(v []float64) float64 { return slices.Max(v) }

func msList(us []float64) string {
	ms := make([]float64, len(us))
	for i, u := range us {
		ms[i] = u / 1000
	}
	return fmtList(ms, 1)
}

func fmtList(v []float64, prec int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', prec, 64)
	}
	return strings.Join(s, " ")
}
