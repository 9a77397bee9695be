package membudget

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCgroupFile(t *testing.T) {
	v2, v1 := parseCgroupFile(read(t, "cgroup-v2"))
	if v2 != "/system.slice/ostree-upgrade.service" || v1 != "" {
		t.Errorf("v2-only file: got %q, %q", v2, v1)
	}
	v2, v1 = parseCgroupFile(read(t, "cgroup-v1"))
	if v2 != "/user.slice/user-1000.slice/session-3.scope" || v1 != "/user.slice/user-1000.slice/session-3.scope" {
		t.Errorf("hybrid file: got %q, %q", v2, v1)
	}
}

func TestParseMountinfo(t *testing.T) {
	v2, v1 := parseMountinfo(read(t, "mountinfo-v2"))
	if v2 != (mount{"/sys/fs/cgroup", "/"}) || v1.dir != "" {
		t.Errorf("v2: got %+v, %+v", v2, v1)
	}
	v2, v1 = parseMountinfo(read(t, "mountinfo-v1"))
	if v2.dir != "/sys/fs/cgroup/unified" || v1.dir != "/sys/fs/cgroup/memory" {
		t.Errorf("hybrid: got %+v, %+v", v2, v1)
	}
}

func TestParseLimit(t *testing.T) {
	if _, ok := parseLimit(read(t, "memory.max-max")); ok {
		t.Error(`"max" must mean no limit`)
	}
	if _, ok := parseLimit(read(t, "limit_in_bytes-unlimited")); ok {
		t.Error("v1's page-rounded MaxInt64 must mean no limit")
	}
	if v, ok := parseLimit(read(t, "memory.max-256m")); !ok || v != 256<<20 {
		t.Errorf("256 MiB: got %d, %v", v, ok)
	}
	if _, ok := parseLimit([]byte("garbage\n")); ok {
		t.Error("garbage must not be a limit")
	}
}

// fakeCgroup lays out a cgroup file system under a temporary directory
// and the proc files that point at it.
func fakeCgroup(t *testing.T, fstype, file string, limits map[string]string) (cgroupFile, mountinfo string) {
	t.Helper()
	dir := t.TempDir()
	mnt := filepath.Join(dir, "cg")
	for group, v := range limits {
		p := filepath.Join(mnt, group)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, file), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	line := "0::/svc.slice/app.service\n"
	super := "rw"
	if fstype == "cgroup" {
		line = "4:memory:/svc.slice/app.service\n"
		super = "rw,memory"
	}
	cgroupFile = filepath.Join(dir, "cgroup")
	mountinfo = filepath.Join(dir, "mountinfo")
	mi := "22 1 259:2 / / rw - ext4 /dev/root rw\n" +
		"26 22 0:24 / " + strings.ReplaceAll(mnt, " ", `\040`) + " rw shared:3 - " + fstype + " " + fstype + " " + super + "\n"
	if err := os.WriteFile(cgroupFile, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mountinfo, []byte(mi), 0o644); err != nil {
		t.Fatal(err)
	}
	return cgroupFile, mountinfo
}

func TestCgroupLimitV2(t *testing.T) {
	cg, mi := fakeCgroup(t, "cgroup2", "memory.max", map[string]string{
		"":                        "max",
		"svc.slice":               "536870912",
		"svc.slice/app.service":   "max",
		"svc.slice/other.service": "1048576",
	})
	limit, ok := CgroupLimit(cg, mi)
	if !ok || limit != 512<<20 {
		t.Fatalf("limit of an unlimited group in a 512 MiB slice: got %d, %v", limit, ok)
	}
	if b := fromLimit(limit, ok); b != 128<<20 {
		t.Errorf("budget: got %d, want a quarter of the limit", b)
	}
}

func TestCgroupLimitV2Unlimited(t *testing.T) {
	cg, mi := fakeCgroup(t, "cgroup2", "memory.max", map[string]string{"svc.slice/app.service": "max"})
	if limit, ok := CgroupLimit(cg, mi); ok {
		t.Fatalf("got limit %d where every group says max", limit)
	}
	if b := fromLimit(CgroupLimit(cg, mi)); b != Default {
		t.Errorf("budget without a limit: got %d, want Default", b)
	}
}

func TestCgroupLimitV1(t *testing.T) {
	cg, mi := fakeCgroup(t, "cgroup", "memory.limit_in_bytes", map[string]string{
		"":                      "9223372036854771712",
		"svc.slice/app.service": "33554432",
	})
	limit, ok := CgroupLimit(cg, mi)
	if !ok || limit != 32<<20 {
		t.Fatalf("v1 limit: got %d, %v", limit, ok)
	}
	if b := fromLimit(limit, ok); b != Min {
		t.Errorf("budget of a 32 MiB cgroup: got %d, want the minimum %d", b, Min)
	}
}

func TestCgroupLimitMissing(t *testing.T) {
	if _, ok := CgroupLimit(filepath.Join(t.TempDir(), "none"), "/proc/self/mountinfo"); ok {
		t.Error("a missing cgroup file gave a limit")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"65536": 65536, "64K": 64 << 10, "48M": 48 << 20, "48MB": 48 << 20,
		"1G": 1 << 30, "1GiB": 1 << 30, " 2gb ": 2 << 30, "1T": 1 << 40,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-5M", "0", "1.5G", "12X", "9999999999999T"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

type conf map[string]string

func (c conf) String(group, key string) (string, bool) { v, ok := c[group+"."+key]; return v, ok }

func TestFromConfig(t *testing.T) {
	if b, err := FromConfig(conf{"core.memory-budget": "24MB"}); err != nil || b != 24<<20 {
		t.Errorf("configured: got %d, %v", b, err)
	}
	if _, err := FromConfig(conf{"core.memory-budget": "lots"}); err == nil || !strings.Contains(err.Error(), "core.memory-budget") {
		t.Errorf("invalid value: got %v", err)
	}
	if b, err := FromConfig(conf{}); err != nil || b != Auto() {
		t.Errorf("unset: got %d, %v; want Auto()", b, err)
	}
}

func TestSetGoLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	old := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(old)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	SetGoLimit(100 << 20)
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Fatalf("limit: got %d", got)
	}
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Fatalf("GC percent: got %d", got)
	}
	SetGoLimit(200 << 20) // an existing limit stays
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Fatalf("an existing limit was replaced: got %d", got)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(100)
	t.Setenv("GOMEMLIMIT", "1GiB") // the user's word wins
	t.Setenv("GOGC", "200")
	SetGoLimit(100 << 20)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("GOMEMLIMIT was overridden: got %d", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC was overridden: GC percent %d", got)
	}
}
