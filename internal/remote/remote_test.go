package remote

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

func newRepo(t *testing.T) *repo.Repo {
	t.Helper()
	r, err := repo.Init(context.Background(), filepath.Join(t.TempDir(), "repo"), repo.InitOptions{Mode: repo.ModeBare})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func load(t *testing.T, r *repo.Repo) *Config {
	t.Helper()
	c, err := Load(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAddGetDelete(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	c := load(t, r)
	steps := []struct {
		name     string
		do       func() error
		wantErr  error
		wantList []string
	}{
		{"add origin", func() error {
			return c.Add(ctx, Fail, "origin", "http://example.com/repo", []Setting{
				{"branches", []string{"a", "b"}}, {"gpg-verify", false}, {"xa.title", " lead space"},
			})
		}, nil, []string{"origin"}},
		{"add duplicate", func() error { return c.Add(ctx, Fail, "origin", "http://x", nil) }, ErrExists, []string{"origin"}},
		{"add if not exists", func() error { return c.Add(ctx, IfNotExists, "origin", "http://x", nil) }, nil, []string{"origin"}},
		{"add metalink", func() error { return c.Add(ctx, Fail, "m", "metalink=http://m/ml", nil) }, nil, []string{"m", "origin"}},
		{"invalid name", func() error { return c.Add(ctx, Fail, "a b", "http://x", nil) }, errdefs.ErrInvalid, []string{"m", "origin"}},
		{"delete missing", func() error { return c.Delete(ctx, "nope", false) }, ErrNotFound, []string{"m", "origin"}},
		{"delete missing if exists", func() error { return c.Delete(ctx, "nope", true) }, nil, []string{"m", "origin"}},
		{"delete m", func() error { return c.Delete(ctx, "m", false) }, nil, []string{"origin"}},
	}
	for _, s := range steps {
		err := s.do()
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		}
		if diff := cmp.Diff(s.wantList, c.Names()); diff != "" {
			t.Fatalf("%s: names (-want +got):\n%s", s.name, diff)
		}
		// A fresh load sees the same.
		if diff := cmp.Diff(s.wantList, load(t, r).Names()); diff != "" {
			t.Fatalf("%s: reloaded names (-want +got):\n%s", s.name, diff)
		}
	}
	c = load(t, r)
	u, err := c.URL("origin")
	if err != nil || u != "http://example.com/repo" {
		t.Errorf("URL = %q, %v", u, err)
	}
	if b, err := c.ListOption("origin", "branches"); err != nil || !cmp.Equal(b, []string{"a", "b"}) {
		t.Errorf("branches = %q, %v", b, err)
	}
	if v, err := c.GPGVerify("origin"); err != nil || v {
		t.Errorf("GPGVerify = %v, %v", v, err)
	}
	if v, err := c.Option("origin", "xa.title", ""); err != nil || v != " lead space" {
		t.Errorf("xa.title = %q, %v", v, err)
	}
	if v, err := c.Option("origin", "nope", "def"); err != nil || v != "def" {
		t.Errorf("default option = %q, %v", v, err)
	}
	if _, err := c.Option("nope", "url", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("option of a missing remote: %v", err)
	}
	if u, err := c.URL("file:///srv/repo"); err != nil || u != "file:///srv/repo" {
		t.Errorf("file URL = %q, %v", u, err)
	}
	if v, err := c.GPGVerify("file:///srv/repo"); err != nil || v {
		t.Errorf("file URL GPGVerify = %v, %v", v, err)
	}
}

func TestReplace(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	c := load(t, r)
	if err := c.Add(ctx, Fail, "a", "http://a", []Setting{{"gpg-verify", false}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(ctx, Fail, "b", "http://b", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(ctx, Replace, "a", "http://a2", nil); err != nil {
		t.Fatal(err)
	}
	want := "[core]\nrepo_version=1\nmode=bare\n\n[remote \"b\"]\nurl=http://b\n\n[remote \"a\"]\nurl=http://a2\n"
	got, _ := os.ReadFile(filepath.Join(r.Path(), "config"))
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestParentRemotes(t *testing.T) {
	ctx := context.Background()
	parent := newRepo(t)
	if err := load(t, parent).Add(ctx, Fail, "p", "http://p", []Setting{{"collection-id", "org.example.P"}}); err != nil {
		t.Fatal(err)
	}
	child := newRepo(t)
	c := load(t, child)
	if err := c.Add(ctx, Fail, "c", "http://c", nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := keyfile.Parse(child.Config().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetString("core", "parent", parent.Path())
	if err := child.WriteConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c = load(t, child)
	if diff := cmp.Diff([]string{"c", "p"}, c.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if id, err := c.CollectionID("p"); err != nil || id != "org.example.P" {
		t.Errorf("inherited collection-id = %q, %v", id, err)
	}
	// Only the repository's own remotes can be deleted.
	if err := c.Delete(ctx, "p", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting a parent's remote: %v", err)
	}
}

func TestRemotesDir(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	sysroot := t.TempDir()
	// A deployment root has a "sysroot" entry; its remotes go to remotes.d.
	if err := os.Mkdir(filepath.Join(sysroot, "sysroot"), 0o755); err != nil {
		t.Fatal(err)
	}
	loc := SysrootLocation(sysroot)
	c, err := LoadAt(ctx, r, loc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(ctx, Fail, "d", "http://d", []Setting{{"gpg-verify", false}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(sysroot, "etc/ostree/remotes.d/d.conf")
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[remote \"d\"]\nurl=http://d\ngpg-verify=false\n"; string(got) != want {
		t.Errorf("d.conf = %q, want %q", got, want)
	}
	if cfg, _ := os.ReadFile(filepath.Join(r.Path(), "config")); strings.Contains(string(cfg), "remote") {
		t.Errorf("remote also written to the repo config:\n%s", cfg)
	}
	c, err = LoadAt(ctx, r, loc)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := c.Get("d")
	if err != nil || rm.File != file {
		t.Fatalf("Get = %+v, %v", rm, err)
	}
	if err := c.Delete(ctx, "d", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("d.conf still there: %v", err)
	}
	// A physical sysroot keeps remotes in the repo config.
	if loc := SysrootLocation(t.TempDir()); loc.RemotesDir != "" || !loc.System {
		t.Errorf("physical sysroot location = %+v", loc)
	}
}

// TestInteropConfigMatchesReference adds the same remotes with both
// implementations and compares the config files, then has each read the
// other's.
func TestInteropConfigMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	type add struct {
		args     []string // reference `remote add` arguments
		mode     Mode
		name     string
		url      string
		settings []Setting
	}
	adds := []add{
		{[]string{"--set=xa.title=Flathub", "--set=xa.title-is-set=true", "flathub", "https://dl.flathub.org/repo/"},
			Fail, "flathub", "https://dl.flathub.org/repo/", []Setting{{"xa.title", "Flathub"}, {"xa.title-is-set", "true"}}},
		{[]string{"--no-gpg-verify", "--collection-id=org.example.C", "c", "http://c/", "b1", "b2"},
			Fail, "c", "http://c/", []Setting{{"branches", []string{"b1", "b2"}}, {"gpg-verify", false}, {"collection-id", "org.example.C"}}},
		{[]string{"--contenturl=http://cdn/", "m", "metalink=http://m/ml"},
			Fail, "m", "metalink=http://m/ml", []Setting{{"contenturl", "http://cdn/"}}},
		{[]string{"--force", "flathub", "http://new/"}, Replace, "flathub", "http://new/", nil},
		{[]string{"--if-not-exists", "c", "http://ignored/"}, IfNotExists, "c", "http://ignored/", nil},
	}
	refRepo := filepath.Join(t.TempDir(), "ref")
	run(t, ref, "init", "--repo="+refRepo)
	for _, a := range adds {
		run(t, ref, append([]string{"remote", "add", "--repo=" + refRepo}, a.args...)...)
	}
	r := newRepo(t)
	c := load(t, r)
	for _, a := range adds {
		if err := c.Add(ctx, a.mode, a.name, a.url, a.settings); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := os.ReadFile(filepath.Join(refRepo, "config"))
	got, _ := os.ReadFile(filepath.Join(r.Path(), "config"))
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("config (-reference +ours):\n%s", diff)
	}
	// The reference reads ours.
	for name, want := range map[string]string{"c": "http://c/\n", "flathub": "http://new/\n"} {
		out, err := exec.Command(ref, "remote", "show-url", "--repo="+r.Path(), name).Output()
		if err != nil || string(out) != want {
			t.Errorf("reference show-url %s = %q, %v; want %q", name, out, err, want)
		}
	}
	// We read the reference's.
	rr, err := repo.Open(ctx, refRepo)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c", "flathub", "m"}, load(t, rr).Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	// Deleting matches too.
	run(t, ref, "remote", "delete", "--repo="+refRepo, "c")
	if err := c.Delete(ctx, "c", false); err != nil {
		t.Fatal(err)
	}
	want, _ = os.ReadFile(filepath.Join(refRepo, "config"))
	got, _ = os.ReadFile(filepath.Join(r.Path(), "config"))
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("config after delete (-reference +ours):\n%s", diff)
	}
}

func run(t *testing.T, bin string, args ...string) {
	t.Helper()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
}
