package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// guest is one sysroot disk that scenarios boot in turn, with the build
// repo its versions are committed to and the updates disk it upgrades from.
type guest struct {
	k       *Kit
	dir     string
	build   string            // archive repo with os/x86_64
	disk    string            // sysroot image (vda)
	updates string            // updates image (vdb)
	csum    map[string]string // version -> commit
	runs    []*Run            // every qemu run so far, for the /var app history
}

const guestRef = "os/x86_64"

// chain runs the scenarios of one disk in order as subtests: each starts
// from the state the previous one left, so after a failure the rest fail
// as not run.
type chain struct {
	t  *testing.T
	ok bool
}

func newChain(t *testing.T) *chain { return &chain{t: t, ok: true} }

func (c *chain) step(name string, f func(t *testing.T)) {
	if !c.ok {
		c.t.Run(name, func(t *testing.T) { t.Fatal("not run: an earlier scenario on this disk failed") })
		return
	}
	s := time.Now()
	c.ok = c.t.Run(name, f)
	c.t.Logf("%s: %.1fs", name, time.Since(s).Seconds())
}

// appScript is the application under /var: it appends the booted version
// to its data file and prints the history.
const appScript = `#!/bin/sh
. /etc/os-release
echo "$VERSION" >> /var/lib/app/data
echo "APP version=$VERSION boots=$(wc -l < /var/lib/app/data) history=$(tr '\n' , < /var/lib/app/data)"
`

// greenboot returns a greenboot.conf and checks for a guest version.
func greenboot(conf string, checks ...File) []File {
	return append([]File{{Path: "usr/etc/greenboot/greenboot.conf", Data: conf}}, checks...)
}

func required(name, script string) File {
	return File{Path: "usr/lib/greenboot/check/required.d/" + name, Data: "#!/bin/sh\n" + script, Mode: 0o755}
}

// redD and greenD print a marker naming the version they ran on.
var (
	redD   = File{Path: "usr/lib/greenboot/red.d/50-mark.sh", Data: "#!/bin/sh\n. /etc/os-release\necho \"RED-D ran version=$VERSION\"\n", Mode: 0o755}
	greenD = File{Path: "usr/lib/greenboot/green.d/50-mark.sh", Data: "#!/bin/sh\n. /etc/os-release\necho \"GREEN-D ran version=$VERSION\"\n", Mode: 0o755}
)

// newGuest makes a sysroot with v1 deployed and the /var application.
func newGuest(t *testing.T, k *Kit, name string, v1 OSVersion) *guest {
	t.Helper()
	ctx := context.Background()
	g := &guest{k: k, dir: filepath.Join(k.Work, name), csum: map[string]string{}}
	g.build, g.disk, g.updates = filepath.Join(g.dir, "build"), filepath.Join(g.dir, "sysroot.img"), filepath.Join(g.dir, "updates.img")
	g.version(t, v1)
	sr := filepath.Join(g.dir, "sysroot")
	if err := MakeSysroot(ctx, k.Gostree, sr, g.build, SysrootOptions{Kargs: DefaultKargs}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(filepath.Join(sr, "ostree/deploy/os/var"), []File{{Path: "lib/app/run.sh", Data: appScript, Mode: 0o755}}); err != nil {
		t.Fatal(err)
	}
	if err := MakeDisk(ctx, sr, g.disk, "sysroot", "700M"); err != nil {
		t.Fatal(err)
	}
	if err := RemoveTree(sr); err != nil {
		t.Fatal(err)
	}
	return g
}

// version builds and commits a guest version; the ref moves to it.
func (g *guest) version(t *testing.T, v OSVersion) string {
	t.Helper()
	ctx := context.Background()
	tree := filepath.Join(g.dir, "tree-"+v.Version)
	if err := BuildTree(ctx, tree, g.k.TreeInputs(), v); err != nil {
		t.Fatal(err)
	}
	c, err := g.k.Gostree.Commit(ctx, g.build, guestRef, tree, v.Version)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(tree)
	g.csum[v.Version] = c
	return c
}

// boot writes the updates disk (the ref as it is now, plus actions) and runs
// qemu until the guest powers off, then replays both journals. It fails
// the test with the console tail after timeout.
func (g *guest) boot(t *testing.T, name, actions string, timeout time.Duration) *Run {
	t.Helper()
	r := g.start(t, name, actions)
	err := r.Wait(timeout)
	g.fsck(t)
	logBoots(t, name, r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// start writes the updates disk and starts qemu.
func (g *guest) start(t *testing.T, name, actions string) *Run {
	t.Helper()
	ctx := context.Background()
	up := filepath.Join(g.dir, "updates")
	if err := MakeUpdatesDir(ctx, g.k.Gostree, up, g.build, guestRef, actions); err != nil {
		t.Fatal(err)
	}
	if err := MakeDisk(ctx, up, g.updates, "updates", "300M"); err != nil {
		t.Fatal(err)
	}
	m := &Machine{ISO: g.k.ISO, Disks: []string{g.disk, g.updates}, ConsoleLog: filepath.Join(g.dir, name+".console.log")}
	r, err := m.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g.runs = append(g.runs, r)
	return r
}

// fsck replays the sysroot's journal; a filesystem it cannot repair fails.
func (g *guest) fsck(t *testing.T) {
	t.Helper()
	if out, err := Fsck(context.Background(), g.disk); err != nil {
		t.Fatalf("sysroot image after the run: %v\n%s", err, out)
	}
}

// with mounts the sysroot image on the host.
func (g *guest) with(t *testing.T, f func(dir string) error) {
	t.Helper()
	if err := Mounted(context.Background(), g.disk, f); err != nil {
		t.Fatal(err)
	}
}

// bootLine is one BOOTED marker of the test init.
type bootLine struct {
	Deployment, Version, PID, Usr, Etc, Var, RunBooted string
}

var bootedRe = regexp.MustCompile(`^BOOTED deployment=(\S+) version=(\S+) pid=(\S+) usr=(\S+) etc=(\S+) var=(\S+) run-booted=(\S+)`)

// guestBoot is one boot of a run: its BOOTED marker (zero when the test
// init never printed one) and its console.
type guestBoot struct {
	bootLine
	Boot
}

// has reports whether a console line of the boot contains s.
func (b guestBoot) has(s string) bool {
	for _, l := range b.Lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (b guestBoot) text() string { return strings.Join(b.Lines, "\n") }

func boots(r *Run) []guestBoot {
	var out []guestBoot
	for _, b := range r.Boots() {
		gb := guestBoot{Boot: b}
		for _, l := range b.Lines {
			if m := bootedRe.FindStringSubmatch(l); m != nil {
				gb.bootLine = bootLine{m[1], m[2], m[3], m[4], m[5], m[6], m[7]}
			}
		}
		out = append(out, gb)
	}
	return out
}

// versions lists the booted versions in order, "-" for a boot that never
// reached the test init.
func versions(r *Run) string {
	var v []string
	for _, b := range boots(r) {
		if b.Version == "" {
			v = append(v, "-")
		} else {
			v = append(v, b.Version)
		}
	}
	return strings.Join(v, ",")
}

// logBoots logs how long each boot of a run took.
func logBoots(t *testing.T, name string, r *Run) {
	t.Helper()
	var parts []string
	for _, b := range boots(r) {
		v := b.Version
		if v == "" {
			v = "-"
		}
		// Where the time goes: firmware+GRUB until the kernel starts, then
		// until the test init runs, then the rest of the boot.
		kernel, booted := b.At("Booting `"), b.At("BOOTED ")
		parts = append(parts, fmt.Sprintf("%s %.1fs (kernel at %.1fs, init at %.1fs)", v, b.End.Sub(b.Start).Seconds(), kernel, booted))
	}
	t.Logf("%s: qemu ran %.1fs; boots: %s", name, r.Elapsed().Seconds(), strings.Join(parts, ", "))
}

// blocks returns the console text between begin and end markers (end
// matched as a prefix), one string per occurrence.
func blocks(r *Run, begin, end string) []string {
	var out []string
	var cur []string
	in := false
	for _, l := range r.Lines() {
		switch {
		case l == begin:
			in, cur = true, nil
		case in && strings.HasPrefix(l, end):
			out = append(out, strings.Join(append(cur, l), "\n"))
			in = false
		case in:
			cur = append(cur, l)
		}
	}
	return out
}

// marker returns the value of the last "KEY=value" console line.
func marker(r *Run, key string) (string, bool) {
	v, ok := "", false
	for _, l := range r.Lines() {
		if s, found := strings.CutPrefix(l, key+"="); found {
			v, ok = s, true
		}
	}
	return v, ok
}

// rc parses the "rc=N" at the end of an END marker line.
func rc(line string) int {
	i := strings.LastIndex(line, "rc=")
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[i+3:]))
	if err != nil {
		return -1
	}
	return n
}

func short(c string) string { return fmt.Sprintf("%.12s", c) }

// reLit matches lines containing s.
func reLit(s string) *regexp.Regexp { return regexp.MustCompile(regexp.QuoteMeta(s)) }
