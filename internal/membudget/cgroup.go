package membudget

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// unlimited is where limits stop meaning anything: cgroup v1 reports
// "no limit" as the largest page-aligned int64.
const unlimited = 1 << 62

// CgroupLimit returns the memory limit of the process's cgroup, read
// from cgroupFile (/proc/self/cgroup) and the cgroup file systems that
// mountinfo lists: the smallest memory.max of the cgroup v2 group and
// its ancestors, else the v1 memory controller's memory.limit_in_bytes.
// ok is false when there is no limit or it cannot be read.
func CgroupLimit(cgroupFile, mountinfo string) (limit int64, ok bool) {
	cg, err := os.ReadFile(cgroupFile)
	if err != nil {
		return 0, false
	}
	mi, err := os.ReadFile(mountinfo)
	if err != nil {
		return 0, false
	}
	v2, v1 := parseCgroupFile(cg)
	m2, m1 := parseMountinfo(mi)
	if v2 != "" && m2.dir != "" {
		if limit, ok := minLimit(m2, v2, "memory.max"); ok {
			return limit, true
		}
	}
	if v1 != "" && m1.dir != "" {
		return minLimit(m1, v1, "memory.limit_in_bytes")
	}
	return 0, false
}

// mount is where a cgroup hierarchy is mounted and which of its groups
// the mount shows at dir (not "/" inside a cgroup namespace or a
// container that bind-mounts its own group).
type mount struct{ dir, root string }

// minLimit reads file in group and each of its ancestors up to the
// mount's root, and returns the smallest limit.
func minLimit(m mount, group, file string) (int64, bool) {
	rel, ok := strings.CutPrefix(group, m.root)
	if !ok {
		rel = ""
	}
	rel = strings.Trim(rel, "/")
	best, found := int64(0), false
	for {
		data, err := os.ReadFile(filepath.Join(m.dir, rel, file))
		if err == nil {
			if v, ok := parseLimit(data); ok && (!found || v < best) {
				best, found = v, true
			}
		}
		if rel == "" || rel == "." {
			return best, found
		}
		rel = filepath.Dir(rel)
	}
}

// parseCgroupFile returns the process's cgroup v2 path ("0::PATH") and
// the path in the v1 hierarchy that has the memory controller.
func parseCgroupFile(data []byte) (v2, v1 string) {
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		id, rest, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		ctrls, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if id == "0" && ctrls == "" {
			v2 = path
			continue
		}
		for _, c := range strings.Split(ctrls, ",") {
			if c == "memory" {
				v1 = path
			}
		}
	}
	return v2, v1
}

// parseMountinfo finds the cgroup2 mount and the cgroup v1 mount with
// the memory controller in /proc/self/mountinfo lines: "ID PARENT
// MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTS".
func parseMountinfo(data []byte) (v2, v1 mount) {
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		f := strings.Fields(s.Text())
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 5 || sep < 0 || sep+3 >= len(f) {
			continue
		}
		m := mount{dir: unescape(f[4]), root: unescape(f[3])}
		switch f[sep+1] {
		case "cgroup2":
			if v2.dir == "" {
				v2 = m
			}
		case "cgroup":
			for _, o := range strings.Split(f[sep+3], ",") {
				if o == "memory" && v1.dir == "" {
					v1 = m
				}
			}
		}
	}
	return v2, v1
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseLimit reads a memory.max or memory.limit_in_bytes value; "max"
// and v1's near-MaxInt64 mean no limit.
func parseLimit(data []byte) (int64, bool) {
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v >= unlimited {
		return 0, false
	}
	return v, true
}
