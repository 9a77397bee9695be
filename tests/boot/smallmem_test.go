package boot

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// smallMemMiB is the guest's RAM and smallMemCgroup the memory.max of the
// cgroups the pull and the deployment run in.
const (
	smallMemMiB    = 128
	smallMemCgroup = 64 << 20
	// smallMemFiller is what the new version adds, in MiB: random files
	// of 1 MiB (under the delta's 4 MB fallback size, so that they go
	// into parts), which the generator splits into two parts of 20 MiB
	// (its chunks are at most 32 MB), each larger than the budget.
	smallMemFiller = 40
)

// smallMemActions runs the upgrade on the first version: a dry run of the
// delta pull outside any cgroup (the budget is then the default), the pull
// through the static delta from the updates disk and the deployment each
// in a cgroup of its own with memory.max set, their cgroup and rusage
// figures, and a reboot into the new version. Output goes through a file
// so that gostree, not writing to a terminal, prints no progress.
func smallMemActions(from string) string {
	return fmt.Sprintf(`if [ "$VERSION" = %s ]; then
echo "MEMINFO $(grep -E '^(MemTotal|MemAvailable):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
mount -t cgroup2 none /sys/fs/cgroup || echo "CGROUP-WARN: no cgroup2"
echo "CGROUP controllers=$(cat /sys/fs/cgroup/cgroup.controllers | tr ' ' ,)"
echo +memory > /sys/fs/cgroup/cgroup.subtree_control || echo "CGROUP-WARN: no memory controller"
incg() {
	cg=/sys/fs/cgroup/$1; shift
	mkdir "$cg" && echo %d > "$cg/memory.max"
	sh -c 'echo $$ > "$0" && exec busybox time -v "$@"' "$cg/cgroup.procs" "$@" > /tmp/out 2>&1
	rc=$?
	cat /tmp/out
	echo "CGROUP-STATS ${cg##*/} max=$(cat "$cg/memory.max") peak=$(cat "$cg/memory.peak") $(grep -E '^oom(_kill)? ' "$cg/memory.events" | tr ' \n' '= ')"
	return $rc
}
echo DRYRUN-BEGIN; gostree pull -v --require-static-deltas --dry-run updates os/x86_64 > /tmp/out 2>&1; rc=$?; cat /tmp/out; echo "DRYRUN-END rc=$rc"
echo PULL-BEGIN; incg pull gostree pull -v --require-static-deltas updates os/x86_64; echo "PULL-END rc=$?"
echo DEPLOY-BEGIN; incg deploy gostree admin upgrade --deploy-only; echo "DEPLOY-END rc=$?"
reboot -f
fi
`, from, smallMemCgroup)
}

// TestSmallDevice (issue 13, item 4): a guest with 128 MiB of RAM
// upgrades through a static delta whose largest part is twice its memory
// budget: the pull (from the updates disk, with --require-static-deltas)
// and the deployment each run in a cgroup with memory.max 64M, whose
// quarter gostree takes as its budget, and the guest reboots into the new
// version. Nothing may be OOM-killed.
func TestSmallDevice(t *testing.T) {
	t.Parallel()
	k := sharedKit(t)
	t0 := time.Now()
	ctx := context.Background()
	g := newGuest(t, k, "smallmem", OSVersion{Version: "s1", Files: greenboot(okConf, okCheck)})
	from := g.csum["s1"]
	to := g.version(t, OSVersion{Version: "s2", Files: append(greenboot(okConf, okCheck), smallMemFiles(t)...)})

	up := filepath.Join(g.dir, "updates")
	parts, err := MakeDeltaUpdatesDir(ctx, k.Gostree, up, g.build, guestRef, from, smallMemActions("s1"))
	if err != nil {
		t.Fatal(err)
	}
	budget := int64(smallMemCgroup / 4)
	var largest DeltaPart
	for _, p := range parts {
		if p.USize > largest.USize {
			largest = p
		}
	}
	t.Logf("delta %s-%s: %d parts %v; largest %.1f MiB uncompressed", short(from), short(to), len(parts), parts, float64(largest.USize)/(1<<20))
	if largest.USize <= budget {
		t.Fatalf("the delta's largest part (%d bytes) fits the budget of %d: the test would prove nothing", largest.USize, budget)
	}
	if err := MakeDisk(ctx, up, g.updates, "updates", "300M"); err != nil {
		t.Fatal(err)
	}
	m := &Machine{ISO: k.ISO, Disks: []string{g.disk, g.updates}, MemoryMiB: smallMemMiB, ConsoleLog: filepath.Join(g.dir, "smallmem.console.log")}
	r, err := m.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	werr := r.Wait(20 * time.Minute)
	g.fsck(t)
	logBoots(t, "smallmem", r)
	if werr != nil {
		t.Fatal(werr)
	}
	for _, l := range r.Lines() {
		if strings.HasPrefix(l, "MEMINFO ") || strings.HasPrefix(l, "CGROUP") {
			t.Log(l)
		}
	}
	for _, name := range []string{"DRYRUN", "PULL", "DEPLOY"} {
		if bs := blocks(r, name+"-BEGIN", name+"-END"); len(bs) == 1 {
			t.Logf("%s:\n%s", name, bs[0])
			logSmallMemFigures(t, name, bs[0])
		}
	}

	// The dry run, outside any cgroup, sees the default budget and the delta.
	dry := blocks(r, "DRYRUN-BEGIN", "DRYRUN-END")
	if len(dry) != 1 || rc(lastLine(strings.Split(dry[0], "\n"))) != 0 {
		t.Fatalf("dry run of the delta pull: %q; console tail:\n%s", dry, r.Tail(40))
	}
	if want := "memory budget: 40.0 MiB (default"; !strings.Contains(dry[0], want) {
		t.Errorf("dry run outside a cgroup: no %q in\n%s", want, dry[0])
	}
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^Delta update: \d+/%d parts`, len(parts))).MatchString(dry[0]) {
		t.Errorf("dry run: no \"Delta update: N/%d parts\" in\n%s", len(parts), dry[0])
	}

	// The pull ran in the cgroup, took a quarter of its limit as its
	// budget, fetched the delta's parts and nothing else, and succeeded.
	pull := blocks(r, "PULL-BEGIN", "PULL-END")
	if len(pull) != 1 || rc(lastLine(strings.Split(pull[0], "\n"))) != 0 {
		t.Fatalf("the pull in the cgroup failed: %q; console tail:\n%s", pull, r.Tail(60))
	}
	if want := "memory budget: 16.0 MiB (a quarter of the cgroup memory limit 64.0 MiB)"; !strings.Contains(pull[0], want) {
		t.Errorf("pull in a cgroup with memory.max=64M: no %q in\n%s", want, pull[0])
	}
	if m := regexp.MustCompile(`(?m)^(\d+) delta parts, \d+ loose fetched`).FindStringSubmatch(pull[0]); m == nil || m[1] != strconv.Itoa(len(parts)) {
		t.Errorf("the pull did not go through the delta's %d parts:\n%s", len(parts), pull[0])
	}
	dep := blocks(r, "DEPLOY-BEGIN", "DEPLOY-END")
	if len(dep) != 1 || rc(lastLine(strings.Split(dep[0], "\n"))) != 0 {
		t.Fatalf("admin upgrade --deploy-only in the cgroup failed: %q; console tail:\n%s", dep, r.Tail(60))
	}
	for _, cg := range []string{"pull", "deploy"} {
		l := r.Matching(regexp.MustCompile(`^CGROUP-STATS ` + cg + ` `))
		if len(l) != 1 || !strings.Contains(l[0], fmt.Sprintf("max=%d ", smallMemCgroup)) || !strings.Contains(l[0], "oom_kill=0") {
			t.Errorf("cgroup %s: %q, want memory.max %d and no OOM kill", cg, l, smallMemCgroup)
		}
	}
	if l := r.Matching(regexp.MustCompile(`(?i)out of memory|oom-kill|oom_reaper|invoked oom`)); len(l) > 0 {
		t.Errorf("the kernel reports OOM:\n%s", strings.Join(l, "\n"))
	}

	// The guest rebooted into the new version.
	bs := boots(r)
	if got := versions(r); got != "s1,s2" {
		t.Fatalf("booted %s, want s1,s2; console tail:\n%s", got, r.Tail(40))
	}
	if !strings.HasPrefix(bs[1].Deployment, to+".") || !bs[1].has("HEALTH-END rc=0") {
		t.Errorf("second boot: deployment %s (want %s), health run passed %v", bs[1].Deployment, short(to), bs[1].has("HEALTH-END rc=0"))
	}
	g.with(t, func(dir string) error {
		if out, err := k.Gostree.Run(ctx, "fsck", "--repo="+filepath.Join(dir, "ostree/repo")); err != nil {
			t.Errorf("gostree fsck of the sysroot repo after the delta pull: %v\n%s", err, out)
		}
		return nil
	})
	t.Logf("small device: %.1fs in all", time.Since(t0).Seconds())
}

// smallMemFiles are the new version's filler files, random: data xz
// cannot shrink is generated quickly (the generator stores it), while
// compressible data costs xz seconds a MiB, here and with xz(1). Decoding
// a part takes its uncompressed size in memory either way.
func smallMemFiles(t *testing.T) []File {
	t.Helper()
	var files []File
	buf := make([]byte, 1<<20)
	for i := range smallMemFiller {
		if _, err := rand.Read(buf); err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Path: fmt.Sprintf("usr/share/gostree-test/filler/%02d", i), Data: string(buf)})
	}
	return files
}

var (
	cgroupPeakRe = regexp.MustCompile(`(?m)^CGROUP-STATS \S+ max=\d+ peak=(\d+)`)
	maxRSSRe     = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
)

// logSmallMemFigures logs a step's cgroup memory.peak (which counts the
// page cache of the files written too) and the peak RSS busybox time
// printed. Busybox 1.35 takes ru_maxrss, in KiB, for a count of pages and
// prints 4 times the figure.
func logSmallMemFigures(t *testing.T, name, block string) {
	t.Helper()
	peak, rss := cgroupPeakRe.FindStringSubmatch(block), maxRSSRe.FindStringSubmatch(block)
	if peak == nil || rss == nil {
		return
	}
	p, _ := strconv.ParseFloat(peak[1], 64)
	k, _ := strconv.ParseFloat(rss[1], 64)
	t.Logf("%s: cgroup memory.peak %.1f MiB; busybox time: maximum RSS %s \"kbytes\" (%.1f MiB if busybox multiplied it by 4)", name, p/(1<<20), rss[1], k/4/1024)
}
