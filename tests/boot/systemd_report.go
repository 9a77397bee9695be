package boot

import (
	"fmt"
	"strings"
)

// Report is what the guest's boot test unit printed: KEY=VALUE lines and
// named blocks (see boottestScript).
type Report struct {
	Values map[string]string
	Blocks map[string]string // block name -> its lines
	RC     map[string]string // block name -> the exit status of its command
}

// ParseReport reads the markers from console lines. Kernel messages may be
// interleaved with a block, so a block keeps only lines that do not look
// like printk output ("[    1.234] ...").
func ParseReport(lines []string) (*Report, error) {
	r := &Report{Values: map[string]string{}, Blocks: map[string]string{}, RC: map[string]string{}}
	var cur string
	var body []string
	done := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, markerBegin):
			cur, body = strings.TrimSpace(strings.TrimPrefix(l, markerBegin)), nil
		case strings.HasPrefix(l, markerEnd):
			f := strings.Fields(strings.TrimPrefix(l, markerEnd))
			if len(f) == 0 || f[0] != cur {
				return nil, fmt.Errorf("boot report: %q ends block %q", l, cur)
			}
			r.Blocks[cur] = strings.Join(body, "\n")
			if len(f) > 1 {
				r.RC[cur] = strings.TrimPrefix(f[1], "rc=")
			}
			cur = ""
		case cur != "":
			if !isPrintk(l) {
				body = append(body, l)
			}
		case strings.HasPrefix(l, markerLine):
			k, v, _ := strings.Cut(strings.TrimPrefix(l, markerLine), "=")
			r.Values[k] = v
		case strings.HasPrefix(l, markerDone):
			done = true
		}
	}
	if !done {
		return r, fmt.Errorf("boot report: no %s line", markerDone)
	}
	return r, nil
}

func isPrintk(l string) bool {
	l = strings.TrimSpace(l)
	if !strings.HasPrefix(l, "[") {
		return false
	}
	end := strings.Index(l, "]")
	return end > 1 && strings.Trim(l[1:end], " 0123456789.") == ""
}

// Mount is one /proc/self/mountinfo line.
type Mount struct {
	Root, Point, Options, FSType, Source string
}

// ReadOnly reports whether the mount's per-mount options include ro.
func (m Mount) ReadOnly() bool {
	for _, o := range strings.Split(m.Options, ",") {
		if o == "ro" {
			return true
		}
	}
	return false
}

// ParseMountinfo returns the topmost mount at each mount point.
func ParseMountinfo(text string) (map[string]Mount, error) {
	mounts := map[string]Mount{}
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if len(f) < 6 || sep < 6 || sep+2 >= len(f) {
			return nil, fmt.Errorf("mountinfo: malformed line %q", l)
		}
		m := Mount{Root: unescapeMount(f[3]), Point: unescapeMount(f[4]), Options: f[5], FSType: f[sep+1], Source: f[sep+2]}
		mounts[m.Point] = m
	}
	return mounts, nil
}

// unescapeMount undoes the kernel's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
