package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t *testing.T, s string) *File {
	t.Helper()
	f, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return f
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"ostree init", "[core]\nrepo_version=1\nmode=bare\n"},
		{"remote", "[core]\nrepo_version=1\nmode=bare\n\n[remote \"origin\"]\nurl=http://example.com/repo\ngpg-verify=false\n"},
		{"comments", "# top\n\n[a]\n# c\nk=v\n  # indented\n\t\n\n[b]\nx=\\sy\n# end\n"},
		{"no separator", "[a]\nx=1\n[b]\ny=2\n"},
		{"duplicate keys", "[a]\nx=1\nx=2\n"},
		{"trailing value space", "[a]\nx=1  \n"},
		{"cr inside line", "[a]\nx=a\rb\n# c\rd\n"},
		{"locale", "[a]\nName=x\nName[de_DE@euro]=y\n"},
		{"only comments", "# a\n\n# b\n"},
		{"vertical tab is not space", "[a]\nk=\vx\v\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(mustParse(t, tc.in).Bytes())
			if diff := cmp.Diff(tc.in, got); diff != "" {
				t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNormalizes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"crlf", "[a]\r\nk=v\r\n\r\n", "[a]\nk=v\n\n"},
		{"no final newline", "[a]\nk=v", "[a]\nk=v\n"},
		{"final cr", "[a]\nk=v\r", "[a]\nk=v\n"},
		{"several crs", "[a]\r\r\nk=v\r\r\n# c\r\r\n\r\r", "[a]\nk=v\n# c\n\n"},
		{"space around equals", "[a]\nk \t= \t v\n", "[a]\nk=v\n"},
		{"indented key and group", "  [a] \t\n\tk=v\n", "[a]\nk=v\n"},
		{"duplicate groups merge", "[a]\nx=1\n[b]\n[a]\ny=2\n", "[a]\nx=1\ny=2\n[b]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(mustParse(t, tc.in).Bytes())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no group", "# c\nk=v\n", "line 2: key-value pair before the first group"},
		{"junk", "[a]\nk=v\njunk\n", `line 3: "junk" is not a key-value pair, group, or comment`},
		{"starts with equals", "[a]\n=v\n", `line 2: "=v" is not a key-value pair`},
		{"bracket in group", "[a]\n\n[a[b]\n", `line 3: invalid group name "a[b"`},
		{"empty group", "[]\n", `line 1: invalid group name ""`},
		{"control in group", "[a\tb]\n", `line 1: invalid group name "a\tb"`},
		{"text after group", "[a] x\n", `line 1: "[a] x" is not`},
		{"bad key", "[a]\nk]=v\n", `line 2: invalid key name "k]"`},
		{"text after locale", "[a]\nk[de]x=v\n", `line 2: invalid key name "k[de]x"`},
		{"encoding", "[a]\nEncoding=latin1\n", `line 2: unsupported encoding "latin1"`},
		{"nul", "[a]\nk=v\x00\n", "line 2: contains a nul byte"},
		{"crlf line count", "[a]\r\n\r\nbad\r\n", `line 3: "bad" is not`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) error = %v, want it to contain %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	f := mustParse(t, "[a]\nEncoding=UTF-8\n[b]\nEncoding=latin1\nk[]=v\nName[é]=u\na b=c\n[a]\nx=1\n")
	got := map[string][]string{}
	for _, g := range f.Groups() {
		got[g] = f.Keys(g)
	}
	want := map[string][]string{
		"a": {"Encoding", "x"},
		"b": {"Encoding", "k[]", "Name[é]", "a b"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys mismatch (-want +got):\n%s", diff)
	}
}

// TestOstreeConfig follows what ostree init, ostree remote add and
// ostree config set do to a repo config.
func TestOstreeConfig(t *testing.T) {
	f := New()
	f.SetString("core", "repo_version", "1")
	f.SetString("core", "mode", "bare")
	if got, want := string(f.Bytes()), "[core]\nrepo_version=1\nmode=bare\n"; got != want {
		t.Fatalf("init: got %q, want %q", got, want)
	}

	f = mustParse(t, "[core]\nrepo_version=1\nmode=bare\n")
	f.StripComments()
	f.SetString(`remote "x"`, "url", "http://example.com/repo")
	f.SetBool(`remote "x"`, "gpg-verify", false)
	f.SetString("core", "lead", " x")
	want := "[core]\nrepo_version=1\nmode=bare\nlead=\\sx\n\n[remote \"x\"]\nurl=http://example.com/repo\ngpg-verify=false\n"
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Fatalf("remote add (-want +got):\n%s", diff)
	}

	// ostree remote delete: no blank line is left behind.
	f.RemoveGroup(`remote "x"`)
	if got, want := string(f.Bytes()), "[core]\nrepo_version=1\nmode=bare\nlead=\\sx\n"; got != want {
		t.Fatalf("remote delete: got %q, want %q", got, want)
	}
}

func TestCommentMode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		edit func(f *File)
		want string
	}{
		{
			name: "new key goes before trailing comments",
			in:   "[a]\nx=1\n# about b\n\n[b]\ny=2\n",
			edit: func(f *File) { f.SetString("a", "z", "3") },
			want: "[a]\nx=1\nz=3\n# about b\n\n[b]\ny=2\n",
		},
		{
			name: "existing key keeps its place",
			in:   "[a]\nx=1\n# c\ny=2\n",
			edit: func(f *File) { f.SetString("a", "x", "9") },
			want: "[a]\nx=9\n# c\ny=2\n",
		},
		{
			name: "new group after a key gets a blank line",
			in:   "[a]\nx=1\n",
			edit: func(f *File) { f.SetString("b", "y", "2") },
			want: "[a]\nx=1\n\n[b]\ny=2\n",
		},
		{
			name: "new group after a comment does not",
			in:   "[a]\nx=1\n# end\n",
			edit: func(f *File) { f.SetString("b", "y", "2") },
			want: "[a]\nx=1\n# end\n[b]\ny=2\n",
		},
		{
			name: "removing a group keeps the blank line above it",
			in:   "[a]\nx=1\n\n[b]\ny=2\n",
			edit: func(f *File) { f.RemoveGroup("b") },
			want: "[a]\nx=1\n\n",
		},
		{
			name: "strip comments",
			in:   "# top\n[a]\n# c\nx=1\n\n[b]\n\ny=2\n# end\n",
			edit: func(f *File) { f.StripComments() },
			want: "[a]\nx=1\n\n[b]\ny=2\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, tc.in)
			tc.edit(f)
			if diff := cmp.Diff(tc.want, string(f.Bytes())); diff != "" {
				t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	f := mustParse(t, "[a]\nx=1\ny=2\nx=3\n\n[b]\n")
	if diff := cmp.Diff([]string{"a", "b"}, f.Groups()); diff != "" {
		t.Errorf("Groups() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"x", "y"}, f.Keys("a")); diff != "" {
		t.Errorf("Keys(a) (-want +got):\n%s", diff)
	}
	if got := f.Keys("b"); len(got) != 0 {
		t.Errorf("Keys(b) = %q, want none", got)
	}
	if got := f.Keys("missing"); got != nil {
		t.Errorf("Keys(missing) = %q, want nil", got)
	}
	if v, ok := f.Value("a", "x"); v != "3" || !ok {
		t.Errorf(`Value(a, x) = %q, %v; want "3", true (last one wins)`, v, ok)
	}
	for _, tc := range []struct {
		group, key string
		want       bool
	}{{"a", "x", true}, {"a", "z", false}, {"b", "x", false}, {"c", "x", false}} {
		if got := f.Has(tc.group, tc.key); got != tc.want {
			t.Errorf("Has(%q, %q) = %v, want %v", tc.group, tc.key, got, tc.want)
		}
	}
	if !f.HasGroup("b") || f.HasGroup("c") {
		t.Errorf("HasGroup(b), HasGroup(c) = %v, %v; want true, false", f.HasGroup("b"), f.HasGroup("c"))
	}

	if !f.RemoveKey("a", "x") || f.Has("a", "x") {
		t.Errorf("RemoveKey(a, x) left the key behind")
	}
	if f.RemoveKey("a", "x") || f.RemoveKey("c", "x") {
		t.Errorf("RemoveKey of a missing key reported true")
	}
	if got, want := string(f.Bytes()), "[a]\ny=2\n\n[b]\n"; got != want {
		t.Errorf("after RemoveKey: got %q, want %q", got, want)
	}
	if !f.RemoveGroup("a") || f.RemoveGroup("a") || f.HasGroup("a") {
		t.Errorf("RemoveGroup(a) did not remove the group once")
	}
	if diff := cmp.Diff([]string{"b"}, f.Groups()); diff != "" {
		t.Errorf("Groups() after RemoveGroup (-want +got):\n%s", diff)
	}
}

func TestZeroValue(t *testing.T) {
	var f File
	f.SetString("a", "k", "v")
	f.SetString("b", "k", "v")
	if got, want := string(f.Bytes()), "[a]\nk=v\n\n[b]\nk=v\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValidNames(t *testing.T) {
	groups := []struct {
		name string
		want bool
	}{
		{"core", true},
		{`remote "origin"`, true},
		{" spaced ", true},
		{"ünïcode", true},
		{"", false},
		{"a[b", false},
		{"a]b", false},
		{"a\nb", false},
		{"a\x7fb", false},
	}
	for _, tc := range groups {
		if got := ValidGroupName(tc.name); got != tc.want {
			t.Errorf("ValidGroupName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	keys := []struct {
		key  string
		want bool
	}{
		{"repo_version", true},
		{"gpg-verify", true},
		{"a b", true},
		{"Name[de_DE@euro]", true},
		{"Name[sr.latin-x]", true},
		{"Name[é]", true},
		{"Name[]", true},
		{"", false},
		{" a", false},
		{"a ", false},
		{"\ta", false},
		{"a\t", false},
		{"#a", false},
		{"a=b", false},
		{"a]", false},
		{"Name[de", false},
		{"Name[d e]", false},
		{"Name[de]x", false},
		{"a\nb", false},
		{"a\x00b", false},
	}
	for _, tc := range keys {
		if got := ValidKeyName(tc.key); got != tc.want {
			t.Errorf("ValidKeyName(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestSetPanics(t *testing.T) {
	tests := []struct {
		name string
		set  func(f *File)
	}{
		{"bad group", func(f *File) { f.SetString("a]", "k", "v") }},
		{"bad key", func(f *File) { f.SetString("a", "#k", "v") }},
		{"newline in raw value", func(f *File) { f.SetValue("a", "k", "x\ny") }},
		{"nul in string", func(f *File) { f.SetString("a", "k", "x\x00") }},
		{"nul in list", func(f *File) { f.SetStringList("a", "k", []string{"x\x00"}) }},
		{"bad key for bool", func(f *File) { f.SetBool("a", "", true) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tc.set(New())
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "config")
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(good, []byte("[core]\nmode=bare\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("[core]\nbad\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	f, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.String("core", "mode"); v != "bare" {
		t.Errorf("mode = %q, want bare", v)
	}

	_, err = Load(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Load(bad) error = %v, want it to name %s and line 2", err, bad)
	}
	_, err = Load(filepath.Join(dir, "missing"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Load(missing) error = %v, want fs.ErrNotExist naming the path", err)
	}
}
