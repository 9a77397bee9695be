package prepareroot

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/testutil"
)

// Contents of the files the test image takes from the repository.
const (
	helloContent  = "#!/bin/sh\necho hello from the objects store\n"
	markerContent = testCsum
)

// cfsImage is a composefs image built for the fixture's deployment: the
// tree, which regular files live as objects, and where it was written.
type cfsImage struct {
	root    *composefs.Node
	objects map[string]string // object path (xx/rest.file) -> content
	verity  bool              // files carry fs-verity digests
	enable  bool              // install enables fs-verity on the objects and the image
}

// newCfsImage describes the fixture's deployment as an image: the same
// directories, the marker and /usr/bin/hello from objects, small files
// inline, and an /etc of its own that a prepared root must not show.
func newCfsImage(verity bool) *cfsImage {
	im := &cfsImage{root: &composefs.Node{Mode: composefs.TypeDir | 0o755}, objects: map[string]string{}, verity: verity}
	for _, d := range []string{"usr/bin", "usr/etc", "etc", "var", "sysroot", "boot", "proc", "dev", "run", "tmp"} {
		im.dir(d)
	}
	im.external("deployment-marker", markerContent)
	im.external("usr/bin/hello", helloContent)
	im.add("usr/etc/from-usr-etc", &composefs.Node{Mode: composefs.TypeRegular | 0o644, Size: 7, Content: []byte("default")})
	im.add("etc/from-image-etc", &composefs.Node{Mode: composefs.TypeRegular | 0o644, Size: 5, Content: []byte("image")})
	im.add("ostree", &composefs.Node{Mode: composefs.TypeSymlink | 0o777, Size: 14, Payload: "sysroot/ostree", HasPayload: true})
	return im
}

// dir returns the directory at p, creating it and its parents.
func (im *cfsImage) dir(p string) *composefs.Node {
	n := im.root
	if p == "." {
		return n
	}
	for _, name := range strings.Split(p, "/") {
		var next *composefs.Node
		for _, c := range n.Children {
			if c.Name == name {
				next = c
			}
		}
		if next == nil {
			next = &composefs.Node{Name: name, Mode: composefs.TypeDir | 0o755}
			n.Children = append(n.Children, next)
			sortChildren(n)
		}
		n = next
	}
	return n
}

func sortChildren(n *composefs.Node) {
	slices.SortFunc(n.Children, func(a, b *composefs.Node) int { return strings.Compare(a.Name, b.Name) })
}

func (im *cfsImage) add(p string, n *composefs.Node) {
	n.Name = path.Base(p)
	parent := im.dir(path.Dir(p))
	parent.Children = append(parent.Children, n)
	sortChildren(parent)
}

// external adds a regular file whose content lives in the objects store,
// named as ostree names content objects: the checksum, then ".file".
func (im *cfsImage) external(p, content string) {
	sum := sha256.Sum256([]byte(content))
	h := hex.EncodeToString(sum[:])
	obj := h[:2] + "/" + h[2:] + ".file"
	im.objects[obj] = content
	n := &composefs.Node{Mode: composefs.TypeRegular | 0o755, Size: uint64(len(content)), Payload: obj, HasPayload: true}
	if im.verity {
		d, err := fsverity.Sum(strings.NewReader(content))
		if err != nil {
			panic(err)
		}
		n.Digest = &d
	}
	im.add(p, n)
}

// install writes the objects into the fixture's repository and the image
// as the deployment's .ostree.cfs. With enable, fs-verity is turned on for
// every object and the image (the filesystem must support it).
func (im *cfsImage) install(t *testing.T, f *fixture) {
	t.Helper()
	objects := filepath.Join(f.sysroot, objectsRel)
	for obj, content := range im.objects {
		p := filepath.Join(objects, obj)
		mustWrite(t, p, content)
		if im.enable {
			enableVerity(t, p)
		}
	}
	p := filepath.Join(f.deploy, ComposefsImage)
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := composefs.WriteImage(out, im.root, composefs.Options{MaxVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if im.enable {
		enableVerity(t, p)
	}
}

func enableVerity(t *testing.T, p string) {
	t.Helper()
	file, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := fsverity.Enable(file, fsverity.Params{}); err != nil {
		t.Fatal(err)
	}
}

// imageDigest is the fs-verity digest of the installed image, computed
// from its bytes.
func imageDigest(t *testing.T, f *fixture) [32]byte {
	t.Helper()
	file, err := os.Open(filepath.Join(f.deploy, ComposefsImage))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	d, err := fsverity.Sum(file)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newExt4Fixture is the fixture with its physical root on an ext4 image
// made with -O verity, loop-mounted: tmpfs has no fs-verity.
func newExt4Fixture(t *testing.T) *fixture {
	t.Helper()
	mountBin := testutil.RequiresTool(t, "mount")
	return buildFixtureOn(t, func(t *testing.T, dir string) {
		img := filepath.Join(filepath.Dir(dir), "sysroot.ext4")
		testutil.MakeExt4(t, img, true)
		if out, err := exec.Command(mountBin, "-o", "loop", img, dir).CombinedOutput(); err != nil {
			t.Fatalf("mount -o loop: %v\n%s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	})
}

// kernelHasVerity reports whether fs-verity can be enabled on a file in
// dir, a filesystem with the feature on: false when the kernel lacks
// CONFIG_FS_VERITY. Tests then check the refusals instead.
func kernelHasVerity(t *testing.T, dir string) bool {
	t.Helper()
	p := filepath.Join(dir, ".verity-probe")
	mustWrite(t, p, "probe")
	defer os.Remove(p)
	file, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	err = fsverity.Enable(file, fsverity.Params{})
	if errors.Is(err, fsverity.ErrNotSupported) {
		if testutil.FsverityRequired() {
			t.Fatalf("%s is set but fs-verity is not supported here: %v", testutil.RequireFsverityEnv, err)
		}
		t.Logf("no fs-verity in this kernel (%v): checking that verity modes refuse", err)
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// signCommit writes a commit for the deployment whose metadata holds the
// image's digest, signed by priv, and renames the deployment after it.
// It writes pub as the initramfs' key file and returns the key file path
// as the config names it.
func signCommit(t *testing.T, f *fixture, digest [32]byte, pub ed25519.PublicKey, priv ed25519.PrivateKey) string {
	t.Helper()
	c := testCommit{meta: map[string]gvariant.Variant{keyComposefsDigest: gvariant.NewVariant("ay", digest[:])}, subject: "signed"}
	c.sigs = [][]byte{ed25519.Sign(priv, c.commitBytes(t))}
	csum := c.write(t, filepath.Join(f.sysroot, objectsRel), nil)
	f.setCommit(t, csum)
	const keypath = "/etc/ostree/initramfs-root-binding.key"
	mustWrite(t, filepath.Join(f.initrd, keypath), base64.StdEncoding.EncodeToString(pub)+"\n")
	return keypath
}

// mountAt returns the filesystem type, source and super options of the
// mount at mp, the topmost one.
func mountAt(t *testing.T, mp string) (fstype, source, opts string) {
	t.Helper()
	file, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if fields[4] != mp {
			continue
		}
		for i, x := range fields {
			if x == "-" && i+3 < len(fields) {
				fstype, source, opts = fields[i+1], fields[i+2], fields[i+3]
			}
		}
	}
	return fstype, source, opts
}
