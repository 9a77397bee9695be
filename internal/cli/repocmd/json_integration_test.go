package repocmd_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/cli/repocmd"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// jsonRepo makes a repository with a two-commit history on "main", a
// ref in a directory, a remote ref and an alias.
func jsonRepo(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	rp, tree := filepath.Join(d, "repo"), filepath.Join(d, "tree")
	os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
	os.WriteFile(filepath.Join(tree, "sub", "f"), []byte("x\n"), 0o644)
	clitest.MustOurs(t, nil, "init", "--repo="+rp)
	clitest.MustOurs(t, nil, "commit", "--repo="+rp, "-b", "main", "-s", "first", "--timestamp=2020-01-02T03:04:05Z", tree)
	clitest.MustOurs(t, nil, "commit", "--repo="+rp, "-b", "main", "-s", "second", "-m", "body <b>\nline 2", "--timestamp=2021-06-07T08:09:10Z",
		"--add-metadata-string=version=1.2", "--add-metadata-string=zz=z", tree)
	clitest.MustOurs(t, nil, "commit", "--repo="+rp, "-b", "apps/one", "-s", "app", tree)
	clitest.MustOurs(t, nil, "refs", "--repo="+rp, "--create=origin:main", "main")
	clitest.MustOurs(t, nil, "refs", "--repo="+rp, "-A", "--create=stable", "main")
	return rp
}

func decodeOurs(t *testing.T, v any, args ...string) string {
	t.Helper()
	out := clitest.MustOurs(t, nil, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

func TestRefsJSON(t *testing.T) {
	rp := jsonRepo(t)
	r, err := repo.Open(context.Background(), rp)
	if err != nil {
		t.Fatal(err)
	}
	rev := func(name string) string {
		c, err := r.ResolveRev(context.Background(), name, false)
		if err != nil {
			t.Fatal(err)
		}
		return c.String()
	}
	for _, tc := range []struct {
		name string
		args []string
		want []repocmd.RefJSON
	}{
		{"all", nil, []repocmd.RefJSON{
			{Ref: "apps/one", Checksum: rev("apps/one")},
			{Ref: "main", Checksum: rev("main")},
			{Ref: "origin:main", Checksum: rev("origin:main")},
			{Ref: "stable", Checksum: rev("main")},
		}},
		{"prefix", []string{"apps"}, []repocmd.RefJSON{{Ref: "one", Checksum: rev("apps/one")}}},
		{"prefixes with --list", []string{"--list", "apps", "main", "nosuch"}, []repocmd.RefJSON{
			{Ref: "apps/one", Checksum: rev("apps/one")},
			{Ref: "main", Checksum: rev("main")},
		}},
		{"aliases", []string{"-A"}, []repocmd.RefJSON{{Ref: "stable", AliasOf: "main", Checksum: rev("main")}}},
		{"none", []string{"nosuch"}, []repocmd.RefJSON{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []repocmd.RefJSON
			decodeOurs(t, &got, append([]string{"refs", "--repo=" + rp, "--json"}, tc.args...)...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("refs --json (-want +got):\n%s", diff)
			}
		})
	}
	// The plain listing is unchanged.
	if out := clitest.MustOurs(t, nil, "refs", "--repo="+rp); out != "apps/one\nmain\norigin:main\nstable\n" {
		t.Errorf("refs = %q", out)
	}
	if _, errs, code := clitest.RunOurs(t, nil, "refs", "--repo="+rp, "--json", "--delete", "main"); code != 1 || errs != "error: --json only applies to listing refs\n" {
		t.Errorf("--json --delete: exit %d, %q", code, errs)
	}
}

func TestRefsJSONCollections(t *testing.T) {
	rp := jsonRepo(t)
	clitest.MustOurs(t, nil, "config", "--repo="+rp, "set", "core.collection-id", "org.example.Main")
	main := clitest.MustOurs(t, nil, "rev-parse", "--repo="+rp, "main")
	var got []repocmd.RefJSON
	decodeOurs(t, &got, "refs", "--repo="+rp, "--json", "-c")
	found := false
	for _, e := range got {
		if e.CollectionID == "org.example.Main" && e.Ref == "main" {
			found = e.Checksum+"\n" == main
		}
	}
	if !found {
		t.Errorf("refs -c --json = %+v, want (org.example.Main, main) at %s", got, main)
	}
}

// commitJSONOf is what log and show --json must print for commit c,
// derived from the repository itself.
func commitJSONOf(t *testing.T, r *repo.Repo, c object.Checksum) repocmd.CommitJSON {
	t.Helper()
	cm, err := r.LoadCommit(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	j := repocmd.CommitJSON{
		Checksum: c.String(), ContentChecksum: cm.ContentChecksum().String(), Timestamp: cm.Timestamp,
		Date: time.Unix(int64(cm.Timestamp), 0).UTC().Format(time.RFC3339), Subject: cm.Subject, Body: cm.Body,
		RootTree: cm.RootTree.String(), RootDirMeta: cm.RootMeta.String(), MetadataKeys: []string{},
	}
	if !cm.Parent.IsZero() {
		j.Parent = cm.Parent.String()
	}
	for _, e := range cm.Metadata {
		j.MetadataKeys = append(j.MetadataKeys, e.Key)
	}
	if v, ok := cm.Metadata.String("version"); ok {
		j.Version = v
	}
	return j
}

func TestLogShowJSON(t *testing.T) {
	ctx := context.Background()
	rp := jsonRepo(t)
	r, err := repo.Open(ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.ResolveRev(ctx, "main", false)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := r.LoadCommit(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	first := cm.Parent

	var shown repocmd.CommitJSON
	out := decodeOurs(t, &shown, "show", "--repo="+rp, "--json", "main")
	want := commitJSONOf(t, r, head)
	if diff := cmp.Diff(want, shown); diff != "" {
		t.Errorf("show --json (-want +got):\n%s", diff)
	}
	// Spot-check against what was committed, not only against the repo.
	if shown.Subject != "second" || shown.Body != "body <b>\nline 2" || shown.Version != "1.2" ||
		shown.Timestamp != 1623053350 || shown.Date != "2021-06-07T08:09:10Z" || shown.Parent != first.String() {
		t.Errorf("show --json = %+v", shown)
	}
	if diff := cmp.Diff([]string{"version", "zz", "ostree.ref-binding"}, shown.MetadataKeys); diff != "" {
		t.Errorf("metadata keys (-want +got):\n%s", diff)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	if _, ok := raw["body"]; !ok {
		t.Errorf("show --json lacks body: %s", out)
	}

	var logged []repocmd.CommitJSON
	decodeOurs(t, &logged, "log", "--repo="+rp, "--json", "main")
	if diff := cmp.Diff([]repocmd.CommitJSON{want, commitJSONOf(t, r, first)}, logged); diff != "" {
		t.Errorf("log --json (-want +got):\n%s", diff)
	}
	if logged[1].Parent != "" || logged[1].Subject != "first" {
		t.Errorf("first commit %+v", logged[1])
	}

	// A history cut short ends at the last commit stored.
	if err := os.Remove(r.ObjectPath(first, object.TypeCommit)); err != nil {
		t.Fatal(err)
	}
	logged = nil
	decodeOurs(t, &logged, "log", "--repo="+rp, "--json", "main")
	if len(logged) != 1 || logged[0].Checksum != head.String() || logged[0].Parent != first.String() {
		t.Errorf("log --json of a partial history = %+v", logged)
	}

	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"show", "--json", "--raw", "main"}, "error: --json cannot be combined with other output options\n"},
		{[]string{"show", "--json", want.RootTree}, "error: --json: no commit " + want.RootTree + "\n"},
		{[]string{"log", "--json", "nosuch"}, ""},
	} {
		_, errs, code := clitest.RunOurs(t, nil, append([]string{"--repo=" + rp}, tc.args...)...)
		if code != 1 || (tc.wantErr != "" && errs != tc.wantErr) {
			t.Errorf("%v: exit %d, stderr %q; want 1, %q", tc.args, code, errs, tc.wantErr)
		}
	}
}
