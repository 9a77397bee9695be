package repocmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/finder"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

const (
	usbCollection = "org.example.AppsCollection"
	usbKeyID      = "7FCA23D8472CDAFA" // key1 of the test keys
)

// collectionWorld is a signed upstream collection repository and a
// local repository that pulled its refs, both made by us.
type collectionWorld struct {
	home, dir, apps, local string
	commits                map[string]string
}

func newCollectionWorld(t *testing.T) *collectionWorld {
	t.Helper()
	w := &collectionWorld{home: clitest.GPGCopyKeys(t), dir: t.TempDir(), commits: map[string]string{}}
	w.apps = filepath.Join(w.dir, "apps")
	w.local = filepath.Join(w.dir, "local")
	tree := filepath.Join(w.dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	clitest.MustOurs(t, nil, "--repo="+w.apps, "init", "--mode=archive", "--collection-id="+usbCollection)
	for _, n := range []string{"app1", "app2"} {
		if err := os.WriteFile(filepath.Join(tree, "f"), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
		w.commits[n] = strings.TrimSpace(clitest.MustOurs(t, nil, "--repo="+w.apps, "commit", "-b", n, "-s", n, "--tree=dir="+tree,
			"--gpg-sign="+usbKeyID, "--gpg-homedir="+w.home))
	}
	clitest.MustOurs(t, nil, "--repo="+w.apps, "summary", "-u")
	clitest.MustOurs(t, nil, "--repo="+w.local, "init", "--mode=archive")
	w.addRemote(t, nil, w.local, "apps-remote", "file://"+w.apps)
	clitest.MustOurs(t, nil, "--repo="+w.local, "pull", "apps-remote", "app1", "app2")
	return w
}

// addRemote configures a remote of the collection, trusting key1, with
// ours (refBin "") or the reference.
func (w *collectionWorld) addRemote(t *testing.T, refBin *string, repoPath, name, url string) {
	t.Helper()
	args := []string{"--repo=" + repoPath, "remote", "add", name, url, "--collection-id=" + usbCollection, "--gpg-import=" + filepath.Join(w.home, "key1.asc")}
	if refBin != nil {
		clitest.MustRef(t, *refBin, args...)
		return
	}
	clitest.MustOurs(t, nil, args...)
}

func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.Type()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			rel += " -> " + target
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestCreateUSBInterop: the USB repository we write has the reference's
// layout, passes its fsck, and its find-remotes finds and pulls from it.
func TestCreateUSBInterop(t *testing.T) {
	refBin := testutil.ReferenceOstree(t)
	w := newCollectionWorld(t)
	ours, theirs := filepath.Join(w.dir, "usb-ours"), filepath.Join(w.dir, "usb-ref")
	for _, d := range []string{ours, theirs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, dest := range []string{"", "some/dest"} {
		args := []string{"--repo=" + w.local, "create-usb", "MOUNT", usbCollection, "app1", usbCollection, "app2"}
		if dest != "" {
			args = append(args, "--destination-repo="+dest)
		}
		out := clitest.MustOurs(t, nil, replaceArg(args, "MOUNT", ours)...)
		refOut := clitest.MustRef(t, refBin, replaceArg(args, "MOUNT", theirs)...) + "\n"
		if want := strings.ReplaceAll(refOut, theirs, ours); out != want {
			t.Errorf("create-usb printed %q, reference %q", out, want)
		}
	}
	a, b := listTree(t, ours), listTree(t, theirs)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("layouts differ:\nours:\n%s\nreference:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	for _, p := range []string{".ostree/repo/config", "some/dest/config"} {
		x, _ := os.ReadFile(filepath.Join(ours, p))
		y, _ := os.ReadFile(filepath.Join(theirs, p))
		if string(x) != string(y) {
			t.Errorf("%s differs:\n%s\nreference:\n%s", p, x, y)
		}
	}
	usbRepo := filepath.Join(ours, ".ostree", "repo")
	clitest.MustRef(t, refBin, "--repo="+usbRepo, "fsck")
	if got, want := clitest.MustRef(t, refBin, "--repo="+usbRepo, "refs", "--collections"), "("+usbCollection+", app1)\n("+usbCollection+", app2)"; got != want {
		t.Errorf("reference lists refs %q, want %q", got, want)
	}

	client := filepath.Join(w.dir, "client")
	clitest.MustRef(t, refBin, "--repo="+client, "init", "--mode=archive")
	w.addRemote(t, &refBin, client, "usb-remote", "file://"+usbRepo)
	out := clitest.MustRef(t, refBin, "--repo="+client, "find-remotes", "--finders=config", "--pull", usbCollection, "app1", usbCollection, "app2")
	if !strings.Contains(out, "Pulled 2/2 refs successfully.") {
		t.Errorf("reference find-remotes --pull:\n%s", out)
	}
	for n, c := range w.commits {
		if got := clitest.MustRef(t, refBin, "--repo="+client, "rev-parse", "usb-remote:"+n); got != c {
			t.Errorf("reference pulled %s = %s, want %s", n, got, c)
		}
	}
}

func replaceArg(args []string, from, to string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		if a == from {
			out[i] = to
		}
	}
	return out
}

// TestFindRemotesOnReferenceUSB: we find and pull the refs on a volume
// the reference's create-usb wrote, checking signatures for real.
func TestFindRemotesOnReferenceUSB(t *testing.T) {
	refBin := testutil.ReferenceOstree(t)
	w := newCollectionWorld(t)
	mount := filepath.Join(w.dir, "usb")
	if err := os.Mkdir(mount, 0o755); err != nil {
		t.Fatal(err)
	}
	clitest.MustRef(t, refBin, "--repo="+w.local, "create-usb", "--destination-repo=data/repo", mount, usbCollection, "app1", usbCollection, "app2")
	for _, mirror := range []bool{false, true} {
		client := filepath.Join(w.dir, fmt.Sprintf("client-%v", mirror))
		clitest.MustOurs(t, nil, "--repo="+client, "init", "--mode=bare-user")
		w.addRemote(t, nil, client, "apps-remote", "file:///nonexistent")
		ctx := context.Background()
		r, err := repo.Open(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		in := &clikit.Invocation{Ctx: ctx, Env: func(string) string { return "" }}
		opts := finder.Options{Remote: pull.RemoteOptions{NetworkRetries: -1}}
		opts.Remote.GPGVerifyCommit, opts.Remote.GPGVerifySummary = clikit.GPGPullHooks(in, r)
		mounts := &finder.Mount{Volumes: func(context.Context) ([]finder.Volume, error) {
			return []finder.Volume{{Name: "usb", Root: mount}}, nil
		}}
		refs := []ref.CollectionRef{{CollectionID: usbCollection, Ref: "app1"}, {CollectionID: usbCollection, Ref: "app2"}}
		results, err := finder.Find(ctx, r, refs, []finder.Finder{mounts}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 1 || results[0].Remote.URL != "file://"+filepath.Join(mount, "data", "repo") {
			t.Fatalf("results: %+v", results)
		}
		opts.Remote.Mirror = mirror
		if err := finder.Pull(ctx, r, results, opts); err != nil {
			t.Fatal(err)
		}
		for n, c := range w.commits {
			rev := "apps-remote:" + n
			if mirror {
				rev = usbCollection + ":" + n
			}
			args := []string{"--repo=" + client, "rev-parse", rev}
			if mirror {
				args = []string{"--repo=" + client, "refs", "--collections"}
			}
			got := clitest.MustRef(t, refBin, args...)
			if !mirror && got != c {
				t.Errorf("%s = %s, want %s", rev, got, c)
			}
			if mirror && !strings.Contains(got, "("+usbCollection+", "+n+")") {
				t.Errorf("reference sees collection refs %q, want %s", got, n)
			}
		}
		clitest.MustRef(t, refBin, "--repo="+client, "fsck")
	}
}

// TestFindRemotesOutputMatchesReference compares what find-remotes prints,
// ref order included (libostree prints a GHashTable's order), and its
// usage errors.
func TestFindRemotesOutputMatchesReference(t *testing.T) {
	refBin := testutil.ReferenceOstree(t)
	w := newCollectionWorld(t)
	many := []string{usbCollection, "app1"}
	for i := 1; i <= 12; i++ {
		many = append(many, usbCollection, fmt.Sprintf("missing%d", i))
	}
	many = append(many, usbCollection, "app2")
	tests := [][]string{
		{"--finders=config", usbCollection, "app1"},
		{"--finders=config", usbCollection, "nothing"},
		append([]string{"--finders=config"}, many...),
		{"--finders=config,mount", "org.example.Other", "x"},
		{"--finders=config,config", usbCollection, "app1"},
		{"--finders=", usbCollection, "app1"},
		{"--finders=lan,usb", usbCollection, "app1"},
		{usbCollection},
		{"--mirror", usbCollection, "app1"},
		{"not-a-collection", "app1"},
		{usbCollection, "bad^ref"},
	}
	for _, args := range tests {
		full := append([]string{"--repo=" + w.local, "find-remotes"}, args...)
		out, errs, code := clitest.RunOurs(t, nil, full...)
		rOut, rErrs, rCode := clitest.RunRef(t, refBin, full...)
		if out != rOut || errs != rErrs || code != rCode {
			t.Errorf("find-remotes %v:\nours (%d):\n%s%s\nreference (%d):\n%s%s", args, code, out, errs, rCode, rOut, rErrs)
		}
	}
}
