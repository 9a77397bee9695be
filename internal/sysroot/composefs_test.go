package sysroot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/commit"
	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// commitComposefsTree commits an OS tree with this prepare-root.conf
// ("" for none) into the sysroot's repo, with the composefs digest
// (or, if bad, a wrong one) in its metadata.
func commitComposefsTree(t *testing.T, root, name, conf string, bad bool) object.Checksum {
	t.Helper()
	ctx := context.Background()
	tree := filepath.Join(t.TempDir(), name)
	writeOSTree(t, tree, name)
	if conf != "" {
		p := filepath.Join(tree, "usr/lib/ostree/prepare-root.conf")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := repo.Open(ctx, filepath.Join(root, "ostree/repo"))
	if err != nil {
		t.Fatal(err)
	}
	o := commit.Options{Branch: name, Trees: []commit.TreeSource{{Kind: "dir", Arg: tree}}, ComposefsMetadata: !bad}
	if bad {
		o.Metadata = object.Metadata{{Key: cfsostree.DigestKey, Value: gvariant.NewVariant("ay", make([]byte, 32))}}
	}
	res, err := commit.Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	return res.Commit
}

// TestDeployComposefs: every deploy writes .ostree.cfs whose payloads
// are all objects of the sysroot's repo; digests are recorded, and the
// commit's digest enforced, only when prepare-root.conf asks for verity.
func TestDeployComposefs(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	root, _, _ := newTestSysroot(t, ref)
	ctx := context.Background()
	cases := []struct {
		name, conf string
		bad        bool
		verity     bool
		err        string
	}{
		{name: "none"},
		{name: "disabled", conf: "[composefs]\nenabled=false\n"},
		{name: "maybe", conf: "[composefs]\nenabled=maybe\n"},
		{name: "verity", conf: "[composefs]\nenabled=verity\n", verity: true},
		{name: "signed", conf: "[composefs]\nenabled=signed\n", verity: true},
		{name: "baddigest", conf: "[composefs]\nenabled=verity\n", bad: true, err: "doesn't match expected digest"},
		{name: "bogus", conf: "[composefs]\nenabled=sometimes\n", err: "Invalid tri-state value: sometimes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := commitComposefsTree(t, root, tc.name, tc.conf, tc.bad)
			s := loadSysroot(t, root)
			res, err := s.DeployTree(ctx, DeployOptions{Stateroot: "testos", Commit: c})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if ents, _ := filepath.Glob(filepath.Join(root, "ostree/deploy/testos/deploy", c.String()+".*")); len(ents) != 0 {
					t.Errorf("failed deploy left %v", ents)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			img := filepath.Join(root, res.Deployment.RelPath(), ComposefsName)
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := os.Stat(img); st.Mode().Perm() != 0o644 {
				t.Errorf("image mode %v", st.Mode())
			}
			im, err := composefs.ReadImage(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			files := 0
			composefs.Walk(im.Root, func(p string, n *composefs.Node) error {
				if n.Type() != composefs.TypeRegular || !n.HasPayload {
					return nil
				}
				files++
				if _, err := os.Stat(filepath.Join(root, "ostree/repo/objects", n.Payload)); err != nil {
					t.Errorf("%s: payload %s is not in the repo: %v", p, n.Payload, err)
				}
				if (n.Digest != nil) != tc.verity {
					t.Errorf("%s: digest %v with verity %v", p, n.Digest, tc.verity)
				}
				return nil
			})
			if files < 5 {
				t.Errorf("only %d files with payloads", files)
			}
			got, _ := fsverity.Sum(bytes.NewReader(data))
			r, _ := s.Repo(ctx)
			cm, _ := r.LoadCommit(ctx, c)
			want, _ := cfsostree.ExpectedDigest(cm.Metadata)
			if tc.verity && (want == nil || got != *want) {
				t.Errorf("image digest %x, commit says %v", got, want)
			}
		})
	}
}
