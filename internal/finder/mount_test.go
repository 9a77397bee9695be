package finder_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/finder"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
)

// volumes returns a Mount finder that sees the given directories as
// mounted volumes.
func volumes(roots ...string) *finder.Mount {
	return &finder.Mount{Volumes: func(context.Context) ([]finder.Volume, error) {
		var out []finder.Volume
		for _, r := range roots {
			out = append(out, finder.Volume{Name: filepath.Base(r), Root: r})
		}
		return out, nil
	}}
}

// usbWorld is a client with the apps collection pulled into it, ready to
// be copied to volumes.
type usbWorld struct {
	client *repo.Repo // has remote apps-remote for appsID
	src    *repo.Repo // has the apps refs as remote refs
	apps   *upstream
	names  map[object.Checksum]string
}

func newUSBWorld(t *testing.T) *usbWorld {
	d := t.TempDir()
	w := &usbWorld{names: map[object.Checksum]string{}}
	w.apps = newUpstream(t, filepath.Join(d, "apps"), appsID, map[string]uint64{"app1": 1000, "app2": 1000, "app3": 1000}, 5000)
	for n, c := range w.apps.commits {
		w.names[c] = n
	}
	w.src = initRepo(t, filepath.Join(d, "src"), repo.ModeBareUser, "")
	addRemote(t, w.src, "remote1", "file://"+w.apps.r.Path(), appsID)
	res := &finder.Result{Remote: finder.Remote{Name: "remote1", URL: "file://" + w.apps.r.Path()}}
	for n, c := range w.apps.commits {
		res.Refs = append(res.Refs, finder.RefCommit{Ref: cref(appsID, n), Commit: &c})
	}
	if err := finder.Pull(context.Background(), w.src, []*finder.Result{res}, finder.Options{Remote: (&verifier{}).options()}); err != nil {
		t.Fatal(err)
	}
	w.client = initRepo(t, filepath.Join(d, "client"), repo.ModeArchive, "")
	addRemote(t, w.client, "apps-remote", "file:///nonexistent", appsID)
	return w
}

func (w *usbWorld) createUSB(t *testing.T, mount, dest string, refs ...string) {
	t.Helper()
	var crs []ref.CollectionRef
	for _, r := range refs {
		crs = append(crs, cref(appsID, r))
	}
	if err := finder.CreateUSB(context.Background(), w.src, mount, crs, finder.USBOptions{DestinationRepo: dest, DisableFsync: true}); err != nil {
		t.Fatal(err)
	}
}

func TestCreateUSB(t *testing.T) {
	w := newUSBWorld(t)
	ctx := context.Background()
	tests := []struct {
		name, dest string
		runs       [][]string
		repoAt     string // where the repository is, relative to the mount
		links      []string
	}{
		{"default", "", [][]string{{"app1", "app2"}}, ".ostree/repo", nil},
		{"ostree/repo", "ostree/repo", [][]string{{"app1"}}, "ostree/repo", nil},
		{"custom", "some/dest", [][]string{{"app1"}}, "some/dest", []string{"00-generated"}},
		// Like libostree, a second run adds another link.
		{"custom again", "some/dest", [][]string{{"app1"}, {"app2", "app3"}}, "some/dest", []string{"00-generated", "01-generated"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mount := t.TempDir()
			want := map[string]string{}
			for _, refs := range tc.runs {
				w.createUSB(t, mount, tc.dest, refs...)
				for _, r := range refs {
					want[r] = w.apps.commits[r].String()
				}
			}
			dst, err := repo.Open(ctx, filepath.Join(mount, tc.repoAt))
			if err != nil {
				t.Fatal(err)
			}
			if dst.Mode() != repo.ModeArchive {
				t.Errorf("mode = %v, want archive", dst.Mode())
			}
			got := map[string]string{}
			all, err := dst.ListCollectionRefs(ctx, repo.ListCollectionRefsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for cr, c := range all {
				if cr.CollectionID != appsID {
					t.Errorf("ref %v in another collection", cr)
				}
				got[cr.Ref] = c
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(dst.Path(), "summary")); err != nil {
				t.Errorf("no summary: %v", err)
			}
			ents, _ := os.ReadDir(filepath.Join(mount, ".ostree", "repos.d"))
			var links []string
			for _, e := range ents {
				links = append(links, e.Name())
				target, err := os.Readlink(filepath.Join(mount, ".ostree", "repos.d", e.Name()))
				if err != nil || target != "../../"+tc.repoAt {
					t.Errorf("link %s → %q (%v)", e.Name(), target, err)
				}
			}
			if diff := cmp.Diff(tc.links, links); diff != "" {
				t.Errorf("repos.d (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateUSBErrors(t *testing.T) {
	w := newUSBWorld(t)
	mount := t.TempDir()
	tests := []struct {
		name, mount, dest string
		refs              []ref.CollectionRef
		want              error
		text              string
	}{
		{"outside", mount, "../elsewhere", []ref.CollectionRef{cref(appsID, "app1")}, finder.ErrDestinationOutside, ""},
		{"absolute outside", mount, "/tmp/x", []ref.CollectionRef{cref(appsID, "app1")}, finder.ErrDestinationOutside, ""},
		{"mount itself", mount, ".", []ref.CollectionRef{cref(appsID, "app1")}, finder.ErrDestinationOutside, ""},
		{"source", filepath.Dir(w.src.Path()), filepath.Base(w.src.Path()), []ref.CollectionRef{cref(appsID, "app1")}, finder.ErrDestinationIsSource, ""},
		{"no mount", filepath.Join(mount, "nope"), "", []ref.CollectionRef{cref(appsID, "app1")}, os.ErrNotExist, "opendir("},
		{"unknown ref", mount, "", []ref.CollectionRef{cref(appsID, "nope")}, nil, "Collection–ref (org.example.AppsCollection, nope) not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := finder.CreateUSB(context.Background(), w.src, tc.mount, tc.refs, finder.USBOptions{DestinationRepo: tc.dest})
			if err == nil {
				t.Fatal("CreateUSB succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v is not %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q lacks %q", err, tc.text)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(mount), "elsewhere")); err == nil {
		t.Error("a destination outside the mount was created")
	}
}

func TestMountFinder(t *testing.T) {
	w := newUSBWorld(t)
	ctx := context.Background()
	refs := []ref.CollectionRef{cref(appsID, "app1"), cref(appsID, "app2")}
	tests := []struct {
		name  string
		setup func(t *testing.T, mount string)
		want  func(mount string) []string
	}{
		{"well-known location", func(t *testing.T, m string) { w.createUSB(t, m, "", "app1", "app2") },
			func(m string) []string {
				return []string{dyn(m, ".ostree/repo") + " OstreeRepoFinderMount 50: app1=app1 app2=app2"}
			}},
		{"ostree/repo", func(t *testing.T, m string) { w.createUSB(t, m, "ostree/repo", "app2") },
			func(m string) []string {
				return []string{dyn(m, "ostree/repo") + " OstreeRepoFinderMount 50: app2=app2"}
			}},
		// repos.d comes first, so it serves app1; .ostree/repo the rest.
		{"repos.d first", func(t *testing.T, m string) {
			w.createUSB(t, m, "", "app1", "app2")
			w.createUSB(t, m, "x/y", "app1")
		}, func(m string) []string {
			return []string{
				dyn(m, ".ostree/repo") + " OstreeRepoFinderMount 50: app2=app2",
				dyn(m, "x/y") + " OstreeRepoFinderMount 50: app1=app1",
			}
		}},
		// Two links to one repository make one result.
		{"deduplicated", func(t *testing.T, m string) {
			w.createUSB(t, m, "x/y", "app1")
			w.createUSB(t, m, "x/y", "app2")
			if err := os.WriteFile(filepath.Join(m, ".ostree", "repos.d", "junk"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(m string) []string {
			return []string{dyn(m, "x/y") + " OstreeRepoFinderMount 50: app1=app1 app2=app2"}
		}},
		{"empty volume", func(t *testing.T, m string) {}, func(string) []string { return nil }},
		// The client repository itself is never a result.
		{"parent excluded", func(t *testing.T, m string) {
			link := filepath.Join(m, ".ostree", "repos.d")
			if err := os.MkdirAll(link, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(w.src.Path(), filepath.Join(link, "00-src")); err != nil {
				t.Fatal(err)
			}
		}, func(string) []string { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mount := t.TempDir()
			tc.setup(t, mount)
			parent := w.client
			if tc.name == "parent excluded" {
				parent = w.src
			}
			got, err := volumes(mount).Resolve(ctx, refs, parent)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want(mount), describe(got, w.names)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			for _, r := range got {
				if r.Remote.KeyringRemote != "apps-remote" || r.Remote.Keyring != "apps-remote.trustedkeys.gpg" {
					t.Errorf("remote %+v: wrong keyring", r.Remote)
				}
			}
		})
	}
}

// dyn is the name of the remote the Mount finder makes for the
// repository at rel on the volume at mount.
func dyn(mount, rel string) string {
	p, _ := filepath.EvalSymlinks(filepath.Join(mount, rel))
	uri := "file://" + p
	s := ""
	for _, c := range []byte(uri) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			s += string(c)
		default:
			s += "_" + strings.ToUpper(hex2(c))
		}
	}
	return s + "_apps-remote.trustedkeys.gpg"
}

func hex2(c byte) string {
	const h = "0123456789abcdef"
	return string([]byte{h[c>>4], h[c&15]})
}

func TestMountFinderNeedsKeyring(t *testing.T) {
	w := newUSBWorld(t)
	mount := t.TempDir()
	w.createUSB(t, mount, "", "app1")
	other := initRepo(t, filepath.Join(t.TempDir(), "other"), repo.ModeArchive, "")
	got, err := volumes(mount).Resolve(context.Background(), []ref.CollectionRef{cref(appsID, "app1")}, other)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("results without a keyring remote: %v", describe(got, w.names))
	}
}

// TestFindAndPullFromUSB finds refs on a volume and pulls them: the refs
// land under the keyring remote's name (or as mirrors) and the commits
// are verified with its keys.
func TestFindAndPullFromUSB(t *testing.T) {
	for _, mirror := range []bool{false, true} {
		w := newUSBWorld(t)
		ctx := context.Background()
		mount := t.TempDir()
		w.createUSB(t, mount, "", "app1", "app2")
		v := &verifier{}
		opts := finder.Options{Remote: v.options()}
		refs := []ref.CollectionRef{cref(appsID, "app1"), cref(appsID, "app2")}
		res, err := finder.Find(ctx, w.client, refs, []finder.Finder{volumes(mount), &finder.Config{Options: opts.Remote}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].SummaryLastModified == 0 {
			t.Fatalf("results %v", describe(res, w.names))
		}
		opts.Remote.Mirror = mirror
		if err := finder.Pull(ctx, w.client, res, opts); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"app1", "app2"} {
			p := "remotes/apps-remote/" + n
			if mirror {
				p = "mirrors/" + appsID + "/" + n
			}
			if got := readRef(t, w.client, p); got != w.apps.commits[n].String() {
				t.Errorf("mirror=%v: refs/%s = %q, want %s", mirror, p, got, w.apps.commits[n])
			}
		}
		if v.remotes["apps-remote"] == 0 {
			t.Errorf("commits not verified with apps-remote's keys: %v", v.remotes)
		}
	}
}
