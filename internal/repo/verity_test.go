package repo

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/object"
)

// withConfig opens a new bare-user repo whose config has extra appended.
func withConfig(t *testing.T, extra string) (*Repo, error) {
	t.Helper()
	ctx := context.Background()
	r, err := Init(ctx, filepath.Join(t.TempDir(), "repo"), InitOptions{Mode: ModeBareUser})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(r.Path(), "config")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(b, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	return Open(ctx, r.Path())
}

func TestVerityConfig(t *testing.T) {
	cases := []struct {
		conf      string
		composefs Tristate
		verity    Tristate
		err       string
	}{
		{"", No, No, ""},
		{"[ex-integrity]\ncomposefs=true\n", Yes, Maybe, ""},
		{"[ex-integrity]\ncomposefs=maybe\n", Maybe, Maybe, ""},
		{"[ex-integrity]\ncomposefs=yes\nfsverity=no\n", Yes, No, ""},
		{"[ex-integrity]\nfsverity=yes\n", No, Yes, ""},
		{"[ex-integrity]\nfsverity= 1 \n", No, Yes, ""},
		{"[ex-fsverity]\nrequired=true\n", No, Yes, ""},
		{"[ex-fsverity]\nopportunistic=true\n", No, Maybe, ""},
		{"[ex-integrity]\nfsverity=false\n[ex-fsverity]\nrequired=true\n", No, Yes, ""},
		{"[ex-integrity]\nfsverity=sometimes\n", No, No, "Invalid tri-state value: sometimes"},
		{"[ex-fsverity]\nrequired=yes\n", No, No, "not a boolean"},
	}
	for _, tc := range cases {
		r, err := withConfig(t, tc.conf)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.conf, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.conf, err)
		}
		if r.ComposefsWanted() != tc.composefs || r.VerityWanted() != tc.verity {
			t.Errorf("%q: composefs %v verity %v, want %v %v", tc.conf, r.ComposefsWanted(), r.VerityWanted(), tc.composefs, tc.verity)
		}
	}
}

// verityWorksIn reports whether fs-verity can be enabled on files in
// dir, so that the policy tests know which outcome is right here (a
// kernel without it, ext4 without the feature, or a guest with it).
func verityWorksIn(t *testing.T, dir string) bool {
	p := filepath.Join(dir, "probe")
	if err := os.WriteFile(p, []byte("probe"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = fsverity.Enable(f, fsverity.Params{})
	if err != nil && !errors.Is(err, fsverity.ErrNotSupported) {
		t.Fatalf("probing fs-verity: %v", err)
	}
	return err == nil
}

// TestVerityOnWrite: under yes and maybe new objects get fs-verity where
// the filesystem has it; yes without it fails naming the requirement,
// maybe goes on without; no never asks.
func TestVerityOnWrite(t *testing.T) {
	ctx := context.Background()
	for _, policy := range []string{"no", "maybe", "yes"} {
		t.Run(policy, func(t *testing.T) {
			r, err := withConfig(t, "[ex-integrity]\nfsverity="+policy+"\n")
			if err != nil {
				t.Fatal(err)
			}
			works := verityWorksIn(t, filepath.Join(r.Path(), "tmp"))
			txn, err := r.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer txn.Abort()
			h := &object.FileHeader{Mode: 0o100644}
			c, _, _, err := txn.WriteFileStream(ctx, h, 5, bytes.NewReader([]byte("hello")))
			_, merr := txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: 0o40755}))
			if policy == "yes" && !works {
				if err == nil || !errors.Is(err, ErrVerityRequired) || merr == nil {
					t.Fatalf("content err = %v, metadata err = %v; want fsverity required errors", err, merr)
				}
				var left []string
				filepath.WalkDir(txn.dir, func(p string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						left = append(left, p)
					}
					return nil
				})
				if len(left) > 0 {
					t.Errorf("refused objects left in staging: %v", left)
				}
				return
			}
			if err != nil || merr != nil {
				t.Fatal(err, merr)
			}
			if err := txn.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(r.ObjectPath(c, object.TypeFile))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, err := fsverity.Measure(f)
			wantVerity := works && policy != "no"
			if (err == nil) != wantVerity {
				t.Fatalf("measure: %v (verity expected: %v)", err, wantVerity)
			}
			if wantVerity {
				sum, _ := fsverity.Sum(bytes.NewReader([]byte("hello")))
				if d != sum {
					t.Errorf("measured %x, want %x", d, sum)
				}
			}
		})
	}
}
