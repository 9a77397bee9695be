package health

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Greenboot's directories, relative to the root; /usr/lib runs before /etc
// and both run (no override by name).
var (
	checkBases  = []string{"usr/lib/greenboot/check", "etc/greenboot/check"}
	scriptBases = []string{"usr/lib/greenboot", "etc/greenboot"}
)

// DefaultGrace is how long a timed-out check has between SIGTERM and SIGKILL.
const DefaultGrace = 2 * time.Second

// Runner runs the checks and the green/red scripts found under Root.
type Runner struct {
	Root   string    // the system's root, "/" on a booted system
	Config Config    // from LoadConfig(Root)
	Out    io.Writer // each script's output, prefixed by its name, and progress lines
	Grace  time.Duration
}

// Check runs required.d and wanted.d of /usr/lib/greenboot then of
// /etc/greenboot. The first failed required check fails the boot; the
// checks after it do not run and are recorded as skipped. Wanted failures
// are only logged. It returns every check with its result, and whether the
// boot is good; an error means a check directory could not be read.
func (r *Runner) Check(ctx context.Context) ([]CheckResult, bool, error) {
	type entry struct {
		s        script
		required bool
	}
	var all []entry
	for _, base := range checkBases {
		for _, kind := range []string{"required.d", "wanted.d"} {
			list, err := r.discover(path.Join(base, kind))
			if err != nil {
				return nil, false, err
			}
			for _, s := range list {
				all = append(all, entry{s, kind == "required.d"})
			}
		}
	}
	names := make([]string, 0, len(all))
	for _, e := range all {
		names = append(names, e.s.name)
	}
	for _, base := range scriptBases {
		for _, kind := range []string{"green.d", "red.d"} {
			list, _ := r.discover(path.Join(base, kind))
			for _, s := range list {
				names = append(names, s.name)
			}
		}
	}
	r.warnUnmatched(names)

	out := r.out()
	var results []CheckResult
	var failed *CheckResult
	for _, e := range all {
		kind := "wanted"
		if e.required {
			kind = "required"
		}
		res := CheckResult{Name: e.s.name, Path: e.s.path, Required: e.required}
		switch {
		case failed != nil:
			res.Skipped = true
			out.printf("health: %s check %s skipped due to a previous failure\n", kind, e.s.name)
		case r.Config.IsDisabled(e.s.name):
			res.Skipped = true
			out.printf("health: %s check %s disabled by DISABLED_HEALTHCHECKS\n", kind, e.s.name)
		default:
			out.printf("health: running %s check %s\n", kind, e.s.path)
			res = execScript(ctx, e.s, out, r.grace())
			res.Required = e.required
			if res.Failed() {
				out.printf("health: %s check %s failed (%s)\n", kind, e.s.name, Describe(&res))
			} else {
				out.printf("health: %s check %s passed\n", kind, e.s.name)
			}
		}
		results = append(results, res)
		if e.required && res.Failed() {
			failed = &results[len(results)-1]
		}
	}
	return results, failed == nil, nil
}

// RunScripts runs green.d or red.d (kind "green" or "red") of /usr/lib
// then /etc. Their failures are logged and returned, never fatal.
func (r *Runner) RunScripts(ctx context.Context, kind string) ([]CheckResult, error) {
	out := r.out()
	var results []CheckResult
	for _, base := range scriptBases {
		list, err := r.discover(path.Join(base, kind+".d"))
		if err != nil {
			return results, err
		}
		for _, s := range list {
			if r.Config.IsDisabled(s.name) {
				out.printf("health: %s script %s disabled by DISABLED_HEALTHCHECKS\n", kind, s.name)
				continue
			}
			out.printf("health: running %s script %s\n", kind, s.path)
			res := execScript(ctx, s, out, r.grace())
			if res.Failed() {
				out.printf("health: %s script %s failed (%s)\n", kind, s.name, Describe(&res))
			}
			results = append(results, res)
		}
	}
	return results, nil
}

// Describe says how a check ended: "exit 1", "timed out after 2s", "skipped".
func Describe(c *CheckResult) string {
	switch {
	case c.Skipped:
		return "skipped"
	case c.TimedOut:
		return fmt.Sprintf("timed out after %s, killed", c.Timeout)
	default:
		return fmt.Sprintf("exit %d", c.ExitStatus)
	}
}

// discover lists the scripts of one directory as greenboot-rs does: regular
// files (not recursing) named *.sh or with an exec bit, sorted by name. A
// missing directory has none.
func (r *Runner) discover(dir string) ([]script, error) {
	full := filepath.Join(r.Root, dir)
	ents, err := os.ReadDir(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("health checks: %w", err)
	}
	var out []script
	for _, e := range ents {
		file := filepath.Join(full, e.Name())
		st, err := os.Stat(file) // follows links, like greenboot-rs
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		sh := strings.HasSuffix(e.Name(), ".sh")
		if !sh && st.Mode().Perm()&0o111 == 0 {
			continue
		}
		out = append(out, script{
			name: e.Name(), path: "/" + path.Join(dir, e.Name()), file: file, shell: sh,
			timeout: r.timeoutFor(e.Name(), file),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

var timeoutHeader = regexp.MustCompile(`^#\s*gostree-timeout:\s*([0-9]+)\s*$`)

// headerLines is how far into a script a "# gostree-timeout: N" line counts.
const headerLines = 10

// timeoutFor picks, in order: GREENBOOT_CHECK_TIMEOUT_<key> from
// greenboot.conf (the admin's word), the script's own header, the default.
func (r *Runner) timeoutFor(name, file string) time.Duration {
	if d, ok := r.Config.Timeouts[TimeoutKey(name)]; ok {
		return d
	}
	if f, err := os.Open(file); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(io.LimitReader(f, 4096))
		for i := 0; i < headerLines && sc.Scan(); i++ {
			if m := timeoutHeader.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
				if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
					return time.Duration(n) * time.Second
				}
			}
		}
	}
	if r.Config.Timeout > 0 {
		return r.Config.Timeout
	}
	return DefaultTimeout
}

// warnUnmatched warns about DISABLED_HEALTHCHECKS names that match no
// check, green or red script.
func (r *Runner) warnUnmatched(names []string) {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, d := range r.Config.Disabled {
		if !have[d] {
			r.out().printf("health: warning: DISABLED_HEALTHCHECKS names %s, which matches no check\n", d)
		}
	}
}

func (r *Runner) out() *lockedWriter {
	w := r.Out
	if w == nil {
		w = io.Discard
	}
	return &lockedWriter{w: w}
}

func (r *Runner) grace() time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return DefaultGrace
}
