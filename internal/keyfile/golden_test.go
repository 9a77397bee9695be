package keyfile

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false,
	"rewrite testdata/golden/*/*.want from the GLib drivers named by "+
		"$KEYFILE_GLIB_SYSTEM and $KEYFILE_GLIB_MODERN (see testdata/README.md)")

// goldenCase is one directory under testdata/golden.
type goldenCase struct {
	dir      string
	input    []byte
	hasInput bool
	ops      [][]string
}

func loadGoldenCases(t *testing.T) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob("testdata/golden/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases in testdata/golden")
	}
	var cases []goldenCase
	for _, dir := range dirs {
		c := goldenCase{dir: dir}
		c.input, err = os.ReadFile(filepath.Join(dir, "input"))
		switch {
		case err == nil:
			c.hasInput = true
		case !errors.Is(err, fs.ErrNotExist):
			t.Fatal(err)
		}
		ops, err := os.ReadFile(filepath.Join(dir, "ops"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(ops), "\n") {
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			c.ops = append(c.ops, splitFields(l))
		}
		cases = append(cases, c)
	}
	return cases
}

// TestGolden checks Parse, the Set and Remove methods, Bytes and the value
// accessors against outputs captured from GLib:
//
//	keep.want   modern GLib, loaded with KEEP_COMMENTS|KEEP_TRANSLATIONS
//	strip.want  GLib 2.74, loaded with KEEP_TRANSLATIONS (our StripComments)
//	reads.want  modern GLib, values read back after the ops (keep mode)
//	error.want  the GLib error, when GLib cannot load the input
func TestGolden(t *testing.T) {
	for _, c := range loadGoldenCases(t) {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			if *update {
				regenerate(t, c)
			}
			if _, err := os.Stat(filepath.Join(c.dir, "error.want")); err == nil {
				if _, err := Parse(c.input); err == nil {
					t.Fatalf("Parse(%q) succeeded, GLib fails", c.input)
				}
				return
			}
			for _, mode := range []string{"keep", "strip"} {
				f := loadMode(t, c, mode)
				want := readFile(t, filepath.Join(c.dir, mode+".want"))
				if diff := cmp.Diff(string(want), string(f.Bytes())); diff != "" {
					t.Errorf("%s: Bytes() mismatch (-glib +got):\n%s", mode, diff)
				}
			}
			compareReads(t, renderReads(loadMode(t, c, "keep")),
				strings.Split(strings.TrimSuffix(string(readFile(t, filepath.Join(c.dir, "reads.want"))), "\n"), "\n"))
		})
	}
}

// loadMode parses the case input, strips comments in strip mode, and runs
// the ops.
func loadMode(t *testing.T, c goldenCase, mode string) *File {
	t.Helper()
	f := New()
	if c.hasInput {
		var err error
		if f, err = Parse(c.input); err != nil {
			t.Fatalf("Parse: %v", err)
		}
	}
	if mode == "strip" {
		f.StripComments()
	}
	for _, op := range c.ops {
		applyOp(t, f, op)
	}
	return f
}

func applyOp(t *testing.T, f *File, op []string) {
	t.Helper()
	switch {
	case op[0] == "set_value" && len(op) == 4:
		f.SetValue(op[1], op[2], op[3])
	case op[0] == "set_string" && len(op) == 4:
		f.SetString(op[1], op[2], op[3])
	case op[0] == "set_boolean" && len(op) == 4:
		f.SetBool(op[1], op[2], op[3] == "true")
	case op[0] == "set_string_list" && len(op) >= 3:
		f.SetStringList(op[1], op[2], op[3:])
	case op[0] == "remove_key" && len(op) == 3:
		f.RemoveKey(op[1], op[2])
	case op[0] == "remove_group" && len(op) == 2:
		f.RemoveGroup(op[1])
	default:
		t.Fatalf("bad op %q", op)
	}
}

// renderReads lists every value the way driver.c's reads command does.
func renderReads(f *File) []string {
	var out []string
	put := func(fields ...string) {
		for i, s := range fields {
			fields[i] = escapeField(s)
		}
		out = append(out, strings.Join(fields, "\t"))
	}
	for _, g := range f.Groups() {
		put("group", g)
		for _, k := range f.Keys(g) {
			v, _ := f.Value(g, k)
			put("value", g, k, v)
			s, _ := f.String(g, k)
			put("string", g, k, "ok", s)
			l, _ := f.StringList(g, k)
			put(append([]string{"list", g, k, "ok"}, l...)...)
			if b, err := f.Bool(g, k, false); err != nil {
				put("bool", g, k, "error")
			} else {
				put("bool", g, k, "ok", fmt.Sprint(b))
			}
			if n, err := f.Int(g, k, 0); err != nil {
				put("int64", g, k, "error")
			} else {
				put("int64", g, k, "ok", fmt.Sprint(n))
			}
		}
	}
	return append(out, "end")
}

// compareReads compares our reads with GLib's, allowing the documented
// differences: GLib fails String and StringList on invalid escapes and
// invalid UTF-8 where we return the lenient value, and GLib clamps an
// int64 that overflows where we fail.
func compareReads(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("reads: got %d lines, want %d:\n%s", len(got), len(want), cmp.Diff(want, got))
	}
	for i := range want {
		if got[i] == want[i] {
			continue
		}
		g, w := strings.Split(got[i], "\t"), strings.Split(want[i], "\t")
		prefix := func(s []string) string { return strings.Join(s[:min(3, len(s))], "\t") }
		if prefix(g) == prefix(w) && len(w) >= 4 {
			switch {
			case (w[0] == "string" || w[0] == "list") && w[3] == "error":
				continue
			case w[0] == "int64" && g[3] == "error" && len(w) == 5 &&
				(w[4] == "9223372036854775807" || w[4] == "-9223372036854775808"):
				continue
			}
		}
		t.Errorf("reads line %d:\n got %s\nwant %s", i+1, got[i], want[i])
	}
}

// regenerate runs the GLib drivers and rewrites the case's want files.
func regenerate(t *testing.T, c goldenCase) {
	t.Helper()
	system, modern := os.Getenv("KEYFILE_GLIB_SYSTEM"), os.Getenv("KEYFILE_GLIB_MODERN")
	if system == "" || modern == "" {
		t.Fatal("-update needs $KEYFILE_GLIB_SYSTEM and $KEYFILE_GLIB_MODERN; see testdata/README.md")
	}
	for _, name := range []string{"keep.want", "strip.want", "reads.want", "error.want"} {
		if err := os.Remove(filepath.Join(c.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	keep := runDriver(t, modern, c, "keep")
	if keep.loadErr != "" {
		writeFile(t, filepath.Join(c.dir, "error.want"), keep.loadErr+"\n")
		return
	}
	writeFile(t, filepath.Join(c.dir, "keep.want"), keep.dump)
	writeFile(t, filepath.Join(c.dir, "reads.want"), strings.Join(keep.reads, "\n")+"\n")
	strip := runDriver(t, system, c, "strip")
	writeFile(t, filepath.Join(c.dir, "strip.want"), strip.dump)
	if m := runDriver(t, modern, c, "strip"); m.dump != strip.dump {
		t.Logf("note: modern GLib strips differently from GLib 2.74:\n%s", cmp.Diff(strip.dump, m.dump))
	}
}

type driverResult struct {
	loadErr string
	dump    string
	reads   []string
}

func runDriver(t *testing.T, driver string, c goldenCase, mode string) driverResult {
	t.Helper()
	var script strings.Builder
	if c.hasInput {
		fmt.Fprintf(&script, "load\t%s\t%s\n", mode, escapeField(string(c.input)))
	} else {
		script.WriteString("new\n")
	}
	for _, op := range c.ops {
		for i, f := range op {
			if i > 0 {
				script.WriteByte('\t')
			}
			script.WriteString(escapeField(f))
		}
		script.WriteByte('\n')
	}
	script.WriteString("dump\nreads\n")

	cmd := exec.Command(driver)
	cmd.Stdin = strings.NewReader(script.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", driver, err, stderr.String())
	}
	var r driverResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	inReads := false
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "error\t"):
			r.loadErr = splitFields(l)[1]
			return r
		case l == "ok" && !inReads:
		case strings.HasPrefix(l, "dump\t"):
			r.dump = splitFields(l)[1]
			inReads = true
		case inReads:
			r.reads = append(r.reads, l)
		default:
			t.Fatalf("%s: unexpected output %q", driver, l)
		}
	}
	return r
}

// escapeField and splitFields implement the driver's field encoding: TAB
// between fields, and \\ \t \n \r escapes inside them.
func escapeField(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
}

func splitFields(l string) []string {
	fields := strings.Split(l, "\t")
	for i, f := range fields {
		var b strings.Builder
		for j := 0; j < len(f); j++ {
			if f[j] == '\\' && j+1 < len(f) {
				j++
				switch f[j] {
				case 't':
					b.WriteByte('\t')
				case 'n':
					b.WriteByte('\n')
				case 'r':
					b.WriteByte('\r')
				default:
					b.WriteByte(f[j])
				}
				continue
			}
			b.WriteByte(f[j])
		}
		fields[i] = b.String()
	}
	return fields
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
