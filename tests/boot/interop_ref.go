package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RefPrepareRootPath is where the reference's initramfs keeps it.
const RefPrepareRootPath = "/usr/lib/ostree/ostree-prepare-root"

// RefPrepareRoot is the reference ostree-prepare-root (Debian's ostree-boot)
// with the shared libraries it loads, ready for InitramfsOptions.
type RefPrepareRoot struct {
	Version string            // the .deb's version, e.g. 2022.7-2+deb12u1
	Binary  string            // host path of the unpacked binary
	Libs    map[string]string // initramfs path -> host path, the loader included
}

// FetchRefPrepareRoot downloads ostree-boot with the machine's apt (once;
// kept under cache/ostree-boot/VERSION) and resolves the binary's libraries
// with ldd. The 2022.7 build links libsystemd, so it binds /var itself only
// when /run/ostree/initramfs-mount-var exists, which the initramfs creates.
func FetchRefPrepareRoot(ctx context.Context, cache string) (*RefPrepareRoot, error) {
	out, err := run(ctx, "", "apt-cache", "policy", "ostree-boot")
	if err != nil {
		return nil, err
	}
	ver := ""
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Candidate:"); ok {
			ver = strings.TrimSpace(v)
		}
	}
	if ver == "" || ver == "(none)" {
		return nil, fmt.Errorf("apt-cache policy ostree-boot: no candidate version (apt-get update?): %s", tail(out, 5))
	}
	dir := filepath.Join(cache, "ostree-boot", ver)
	bin := filepath.Join(dir, strings.TrimPrefix(RefPrepareRootPath, "/"))
	if _, err := os.Stat(bin); err != nil {
		if err := unpackDeb(ctx, cache, "ostree-boot="+ver, dir); err != nil {
			return nil, err
		}
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("ostree-boot %s has no %s: %w", ver, RefPrepareRootPath, err)
		}
	}
	libs, err := sharedLibs(ctx, bin)
	if err != nil {
		return nil, err
	}
	return &RefPrepareRoot{Version: ver, Binary: bin, Libs: libs}, nil
}

// unpackDeb runs "apt-get download PKG" in a temporary directory and
// extracts the package into dst, which it replaces atomically.
func unpackDeb(ctx context.Context, cache, pkg, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	dl, err := os.MkdirTemp(filepath.Dir(dst), "dl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dl)
	if _, err := run(ctx, dl, "apt-get", "-q", "download", pkg); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(dl, "*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download %s: want one .deb in %s, found %d", pkg, dl, len(debs))
	}
	x := filepath.Join(dl, "x")
	if _, err := run(ctx, "", "dpkg-deb", "-x", debs[0], x); err != nil {
		return err
	}
	os.RemoveAll(dst)
	return os.Rename(x, dst)
}

// sharedLibs lists what ldd says bin loads, keyed by the path the loader
// looks it up at (the soname path, or the interpreter's absolute path).
func sharedLibs(ctx context.Context, bin string) (map[string]string, error) {
	out, err := run(ctx, "", "ldd", bin)
	if err != nil {
		return nil, err
	}
	libs := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 3 && f[1] == "=>" && f[2] == "not":
			return nil, fmt.Errorf("ldd %s: %s not found", bin, f[0])
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs[f[2]] = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"): // the dynamic loader
			libs[f[0]] = f[0]
		}
	}
	if len(libs) == 0 {
		return nil, fmt.Errorf("ldd %s: no libraries listed: %s", bin, tail(out, 5))
	}
	return libs, nil
}

// Size is the bytes on disk of the binary and every library it loads.
func (r *RefPrepareRoot) Size() (bin, withLibs int64, err error) {
	st, err := os.Stat(r.Binary)
	if err != nil {
		return 0, 0, err
	}
	bin, withLibs = st.Size(), st.Size()
	for _, p := range r.Libs {
		st, err := os.Stat(p) // follows the soname link to the file
		if err != nil {
			return 0, 0, err
		}
		withLibs += st.Size()
	}
	return bin, withLibs, nil
}

// InitramfsOptions are opts for an initramfs running the reference.
func (r *RefPrepareRoot) InitramfsOptions(k *Kernel) InitramfsOptions {
	return InitramfsOptions{Kernel: k, PrepareRoot: r.Binary, PrepareRootPath: RefPrepareRootPath, Files: r.Libs}
}
