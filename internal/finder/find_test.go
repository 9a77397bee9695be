package finder_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/finder"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
)

const (
	appsID = "org.example.AppsCollection"
	osID   = "org.example.OsCollection"
)

func cref(cid, name string) ref.CollectionRef {
	return ref.CollectionRef{CollectionID: cid, Ref: name}
}

// describe renders results as "REMOTE FINDER PRIORITY: REF=COMMIT ...",
// with commits named through names and missing ones as "-".
func describe(results []*finder.Result, names map[object.Checksum]string) []string {
	var out []string
	for _, r := range results {
		var refs []string
		for _, rc := range r.Refs {
			c := "-"
			if rc.Commit != nil {
				c = names[*rc.Commit]
			}
			refs = append(refs, rc.Ref.Ref+"="+c)
		}
		out = append(out, fmt.Sprintf("%s %s %d: %s", r.Remote.Name, r.Finder, r.Priority, strings.Join(refs, " ")))
	}
	return out
}

// configWorld is a client repository with remotes for two upstream
// collections, one of them also served by an outdated mirror.
type configWorld struct {
	local           *repo.Repo
	apps, os, stale *upstream
	names           map[object.Checksum]string
}

func newConfigWorld(t *testing.T) *configWorld {
	d := t.TempDir()
	w := &configWorld{names: map[object.Checksum]string{}}
	w.apps = newUpstream(t, filepath.Join(d, "apps"), appsID, map[string]uint64{"app1": 1000, "app2": 1000}, 5000)
	// The stale mirror has an older os/main; the upstream a newer one.
	w.stale = newUpstream(t, filepath.Join(d, "stale"), osID, map[string]uint64{"os/main": 1000}, 4000)
	w.os = newUpstream(t, filepath.Join(d, "os"), osID, map[string]uint64{"os/main": 2000}, 6000)
	for _, u := range []struct {
		prefix string
		up     *upstream
	}{{"apps", w.apps}, {"os", w.os}, {"stale", w.stale}} {
		for n, c := range u.up.commits {
			w.names[c] = u.prefix + ":" + n
		}
	}
	w.local = initRepo(t, filepath.Join(d, "local"), repo.ModeArchive, "")
	addRemote(t, w.local, "apps-remote", "file://"+w.apps.r.Path(), appsID)
	addRemote(t, w.local, "os-remote", "file://"+w.os.r.Path(), osID)
	addRemote(t, w.local, "os-stale", "file://"+w.stale.r.Path(), osID)
	// Remotes without a collection ID are never candidates.
	addRemote(t, w.local, "plain", "file://"+w.apps.r.Path(), "")
	return w
}

func TestFindConfig(t *testing.T) {
	w := newConfigWorld(t)
	tests := []struct {
		name string
		refs []ref.CollectionRef
		want []string
	}{
		{"one ref", []ref.CollectionRef{cref(appsID, "app1")},
			[]string{"apps-remote OstreeRepoFinderConfig 100: app1=apps:app1"}},
		{"missing ref listed without commit", []ref.CollectionRef{cref(appsID, "app1"), cref(appsID, "not-an-app")},
			[]string{"apps-remote OstreeRepoFinderConfig 100: app1=apps:app1 not-an-app=-"}},
		{"outdated remote dropped", []ref.CollectionRef{cref(osID, "os/main")},
			[]string{"os-remote OstreeRepoFinderConfig 100: os/main=os:os/main"}},
		// Results with known summary times sort older first, as
		// libostree's comparison does.
		{"two collections", []ref.CollectionRef{cref(osID, "os/main"), cref(appsID, "app2")}, []string{
			"apps-remote OstreeRepoFinderConfig 100: os/main=- app2=apps:app2",
			"os-remote OstreeRepoFinderConfig 100: os/main=os:os/main app2=-",
		}},
		{"wrong collection", []ref.CollectionRef{cref(osID, "app1")}, nil},
		{"unknown collection", []ref.CollectionRef{cref("org.example.None", "app1")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &verifier{}
			opts := finder.Options{Remote: v.options()}
			res, err := finder.Find(context.Background(), w.local, tc.refs, []finder.Finder{&finder.Config{Options: opts.Remote}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, describe(res, w.names)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			for _, r := range res {
				if r.Remote.Keyring != r.Remote.Name+".trustedkeys.gpg" || !strings.HasPrefix(r.Remote.URL, "file:///") {
					t.Errorf("remote %+v: keyring or URL wrong", r.Remote)
				}
				if r.SummaryLastModified == 0 {
					t.Errorf("remote %s: summary last-modified unknown", r.Remote.Name)
				}
			}
		})
	}
}

func TestFindEqualCommitsKeepsBoth(t *testing.T) {
	w := newConfigWorld(t)
	ctx := context.Background()
	// Bring the mirror up to date: both now serve the newest commit.
	c := w.os.commits["os/main"]
	if err := w.stale.r.SetRef(ctx, "", "os/main", nil); err != nil {
		t.Fatal(err)
	}
	st, err := finder.Find(ctx, w.stale.r, nil, nil, finder.Options{})
	if err != nil || st != nil {
		t.Fatalf("Find without finders = %v, %v", st, err)
	}
	mirrorRefs(t, w.os.r, w.stale.r, "os/main")
	regenerate(t, w.stale.r, 7000)
	opts := finder.Options{Remote: (&verifier{}).options()}
	res, err := finder.Find(ctx, w.local, []ref.CollectionRef{cref(osID, "os/main")}, []finder.Finder{&finder.Config{Options: opts.Remote}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"os-remote OstreeRepoFinderConfig 100: os/main=os:os/main",
		"os-stale OstreeRepoFinderConfig 100: os/main=os:os/main",
	}
	if diff := cmp.Diff(want, describe(res, w.names)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if *res[0].Commit(cref(osID, "os/main")) != c {
		t.Errorf("commit = %s, want %s", res[0].Commit(cref(osID, "os/main")), c)
	}
}

// mirrorRefs copies refs (and their commits) from src to dst.
func mirrorRefs(t *testing.T, src, dst *repo.Repo, refs ...string) {
	t.Helper()
	res := &finder.Result{Remote: finder.Remote{Name: "x", URL: "file://" + src.Path(), KeyringRemote: "k"}}
	for _, n := range refs {
		c, err := src.ResolveRev(context.Background(), n, false)
		if err != nil {
			t.Fatal(err)
		}
		res.Refs = append(res.Refs, finder.RefCommit{Ref: cref(src.CollectionID(), n), Commit: &c})
	}
	o := (&verifier{}).options()
	o.Mirror = true
	if err := finder.Pull(context.Background(), dst, []*finder.Result{res}, finder.Options{Remote: o}); err != nil {
		t.Fatal(err)
	}
}

func TestPullConfigResults(t *testing.T) {
	for _, mirror := range []bool{false, true} {
		t.Run(fmt.Sprintf("mirror=%v", mirror), func(t *testing.T) {
			w := newConfigWorld(t)
			ctx := context.Background()
			v := &verifier{}
			opts := finder.Options{Remote: v.options()}
			refs := []ref.CollectionRef{cref(appsID, "app1"), cref(appsID, "app2"), cref(osID, "os/main"), cref(appsID, "nope")}
			res, err := finder.Find(ctx, w.local, refs, []finder.Finder{&finder.Config{Options: opts.Remote}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.Remote.Mirror = mirror
			if err := finder.Pull(ctx, w.local, res, opts); err != nil {
				t.Fatal(err)
			}
			want := map[string]object.Checksum{
				"remotes/apps-remote/app1":  w.apps.commits["app1"],
				"remotes/apps-remote/app2":  w.apps.commits["app2"],
				"remotes/os-remote/os/main": w.os.commits["os/main"],
			}
			if mirror {
				want = map[string]object.Checksum{
					"mirrors/" + appsID + "/app1":  w.apps.commits["app1"],
					"mirrors/" + appsID + "/app2":  w.apps.commits["app2"],
					"mirrors/" + osID + "/os/main": w.os.commits["os/main"],
				}
			}
			for p, c := range want {
				if got := readRef(t, w.local, p); got != c.String() {
					t.Errorf("refs/%s = %q, want %s", p, got, c)
				}
			}
			if v.remotes["apps-remote"] == 0 || v.remotes["os-remote"] == 0 {
				t.Errorf("commits not verified with the remotes' keys: %v", v.remotes)
			}
		})
	}
}

func TestPullFailureNamesRefs(t *testing.T) {
	w := newConfigWorld(t)
	ctx := context.Background()
	v := &verifier{fail: true}
	opts := finder.Options{Remote: v.options()}
	refs := []ref.CollectionRef{cref(appsID, "app1"), cref(appsID, "app2")}
	res, err := finder.Find(ctx, w.local, refs, []finder.Finder{&finder.Config{Options: opts.Remote}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	err = finder.Pull(ctx, w.local, res, opts)
	var pe *finder.PullError
	if !errors.As(err, &pe) {
		t.Fatalf("Pull = %v, want a PullError", err)
	}
	// libostree lists the failed refs in its hash table's order.
	const want = "Failed to pull some refs from the remotes: (org.example.AppsCollection, app1), (org.example.AppsCollection, app2)"
	if pe.Error() != want {
		t.Errorf("error = %q, want %q", pe.Error(), want)
	}
	if readRef(t, w.local, "remotes/apps-remote/app1") != "" {
		t.Error("a ref moved although verification failed")
	}
}
