package prepareroot

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepareComposefsVerity runs the verity and signed modes on a
// physical root with the ext4 verity feature, loop-mounted. On a kernel
// without fs-verity the same cases must fail, each in its own way.
func TestPrepareComposefsVerity(t *testing.T) {
	pub, priv := newKey(t, 7)
	const notSupported = "composefs: failed to mount: fsverity not supported for composefs image $D/.ostree.cfs: …"
	tests := []struct {
		name        string
		setup       func(t *testing.T, f *fixture) // after the image is installed
		signed      bool
		lost        bool   // an object lost its fs-verity: reading the file must fail
		wantErr     string // the error, $D expanded, with a trailing … a prefix; "" means success
		noVerityErr string // wantErr on a kernel without fs-verity
	}{
		{name: "verity", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=verity")
		}},
		{name: "verity_object_lost_verity", lost: true, setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=verity")
			sum := sha256.Sum256([]byte(helloContent))
			h := hex.EncodeToString(sum[:])
			obj := filepath.Join(f.sysroot, objectsRel, h[:2], h[2:]+".file")
			if err := os.Remove(obj); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, obj, helloContent) // the same bytes, no fs-verity
		}},
		{name: "signed", signed: true, noVerityErr: notSupported, setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=signed")
			signCommit(t, f, imageDigest(t, f), pub, priv)
		}},
		{name: "signed_by_karg", signed: true, noVerityErr: notSupported, setup: func(t *testing.T, f *fixture) {
			signCommit(t, f, imageDigest(t, f), pub, priv)
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=no")
			mustWrite(t, filepath.Join(f.base, "karg"), " ostree.prepare-root.composefs=signed")
		}},
		{name: "signed_wrong_digest", noVerityErr: notSupported, setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=signed")
			d := imageDigest(t, f)
			d[0] ^= 1
			signCommit(t, f, d, pub, priv)
		}, wantErr: "composefs: failed to mount: Wrong fsverity digest in composefs image $D/.ostree.cfs: sha256:…"},
		{name: "signed_image_without_verity", noVerityErr: notSupported, setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=signed")
			p := filepath.Join(f.deploy, ComposefsImage)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p, string(b))
			signCommit(t, f, imageDigest(t, f), pub, priv)
		}, wantErr: "composefs: failed to mount: fsverity not enabled on composefs image $D/.ostree.cfs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newExt4Fixture(t)
			hasVerity := kernelHasVerity(t, f.sysroot)
			im := newCfsImage(true)
			im.enable = hasVerity
			im.install(t, f)
			tc.setup(t, f)
			wantErr := tc.wantErr
			if !hasVerity {
				wantErr = tc.noVerityErr
			}
			o := f.options()
			if b, err := os.ReadFile(filepath.Join(f.base, "karg")); err == nil {
				o.Cmdline += string(b)
			}
			before := mountinfo(t)
			r, err := Prepare(o)
			if wantErr != "" {
				want := strings.ReplaceAll(wantErr, "$D", f.deploy)
				prefix, partial := strings.CutSuffix(want, "…")
				if err == nil || (partial && !strings.HasPrefix(err.Error(), prefix)) || (!partial && err.Error() != want) {
					t.Fatalf("error %v, want %q", err, want)
				}
				if after := mountinfo(t); after != before {
					t.Errorf("mount table changed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !hasVerity || tc.lost {
				// The overlay insists on verity: a file whose object has
				// none cannot be opened, though the mount is up.
				if fstype, _, opts := mountAt(t, f.sysroot); fstype != "overlay" || !strings.Contains(opts, "verity=require") {
					t.Errorf("root mount %s %s, want an overlay with verity=require", fstype, opts)
				}
				if b, err := os.ReadFile(f.sysroot + "/usr/bin/hello"); err == nil {
					t.Errorf("read a file whose object has no fs-verity: %q", b)
				}
				if hasVerity {
					if b, err := os.ReadFile(f.sysroot + "/deployment-marker"); err != nil || string(b) != markerContent {
						t.Errorf("a file whose object has fs-verity: %q, %v", b, err)
					}
				}
				return
			}
			b := checkComposefsRoot(t, f, r, true)
			wantSigned := map[bool]string{false: "", true: DefaultKeypath}[tc.signed]
			if b.ComposefsSigned != wantSigned || r.Config.Signed != tc.signed {
				t.Errorf("composefs.signed %q (config %v), want %q", b.ComposefsSigned, r.Config.Signed, wantSigned)
			}
		})
	}
}
