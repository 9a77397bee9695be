package boot

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Modules are loaded by the initramfs in this order (6.12: virtio_pci is
// built in; crc32c_generic is a runtime crypto dependency of ext4 that
// modules.dep does not list). erofs, overlay and loop are for composefs.
var Modules = []string{"virtio_blk", "crc16", "crc32c_generic", "mbcache", "jbd2", "ext4", "libcrc32c", "erofs", "overlay", "loop"}

// Kernel is a bookworm-backports kernel unpacked in the cache.
type Kernel struct {
	Version string // uname -r, e.g. 6.12.95+deb12-amd64
	Vmlinuz string // the bzImage
	ModDir  string // NAME.ko for each of Modules, decompressed
}

// kernelMaxAge: a cached kernel is used without asking apt for this long.
const kernelMaxAge = 7 * 24 * time.Hour

// FetchKernel returns the newest bookworm-backports linux-image-*-amd64,
// downloading it with an apt state of its own under cache/apt (the machine's
// apt sources are only read, for the mirror URL) and unpacking the kernel and
// Modules under cache/kernel/VERSION.
func FetchKernel(ctx context.Context, cache string) (*Kernel, error) {
	current := filepath.Join(cache, "kernel", "current")
	if st, err := os.Stat(current); err == nil && time.Since(st.ModTime()) < kernelMaxAge {
		b, _ := os.ReadFile(current)
		if k, err := loadKernel(cache, strings.TrimSpace(string(b))); err == nil {
			return k, nil
		}
	}
	pkg, err := resolveKernelPackage(ctx, cache)
	if err != nil {
		// Offline: an older cached kernel still boots.
		if b, rerr := os.ReadFile(current); rerr == nil {
			if k, lerr := loadKernel(cache, strings.TrimSpace(string(b))); lerr == nil {
				return k, nil
			}
		}
		return nil, err
	}
	ver := strings.TrimPrefix(pkg, "linux-image-")
	if k, err := loadKernel(cache, ver); err == nil {
		return k, touchFile(current, ver)
	}
	if err := unpackKernel(ctx, cache, pkg, ver); err != nil {
		return nil, err
	}
	k, err := loadKernel(cache, ver)
	if err != nil {
		return nil, err
	}
	return k, touchFile(current, ver)
}

func touchFile(path, content string) error {
	if err := os.WriteFile(path+".tmp", []byte(content+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

func loadKernel(cache, ver string) (*Kernel, error) {
	dir := filepath.Join(cache, "kernel", ver)
	k := &Kernel{Version: ver, Vmlinuz: filepath.Join(dir, "vmlinuz"), ModDir: filepath.Join(dir, "modules")}
	if _, err := os.Stat(k.Vmlinuz); err != nil {
		return nil, err
	}
	for _, m := range Modules {
		if _, err := os.Stat(filepath.Join(k.ModDir, m+".ko")); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// aptArgs point apt at cache/apt only.
func aptArgs(cache string) []string {
	a := filepath.Join(cache, "apt")
	return []string{
		"-o", "Dir::Etc::SourceList=" + filepath.Join(a, "sources.list"),
		"-o", "Dir::Etc::SourceParts=/nonexistent",
		"-o", "Dir::State::Lists=" + filepath.Join(a, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(a, "cache"),
		"-o", "APT::Sandbox::User=root",
	}
}

func resolveKernelPackage(ctx context.Context, cache string) (string, error) {
	mirror, err := DebianMirror()
	if err != nil {
		return "", err
	}
	a := filepath.Join(cache, "apt")
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a, d), 0o755); err != nil {
			return "", err
		}
	}
	src := fmt.Sprintf("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bookworm-backports main\n", mirror)
	if err := os.WriteFile(filepath.Join(a, "sources.list"), []byte(src), 0o644); err != nil {
		return "", err
	}
	if _, err := run(ctx, "", "apt-get", append(aptArgs(cache), "-q", "update")...); err != nil {
		return "", err
	}
	out, err := run(ctx, "", "apt-cache", append(aptArgs(cache), "depends", "linux-image-amd64")...)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-6") {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("bookworm-backports: linux-image-amd64 depends on no linux-image-6.*: %s", tail(out, 5))
}

// unpackKernel downloads pkg and extracts only vmlinuz and Modules.
func unpackKernel(ctx context.Context, cache, pkg, ver string) error {
	dl, err := os.MkdirTemp(filepath.Join(cache, "apt"), "dl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dl)
	if _, err := run(ctx, dl, "apt-get", append(aptArgs(cache), "-q", "download", pkg)...); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download %s: want one .deb in %s, found %d", pkg, dl, len(debs))
	}
	x := filepath.Join(dl, "x")
	if err := os.MkdirAll(x, 0o755); err != nil {
		return err
	}
	pats := []string{"./boot/vmlinuz-" + ver}
	for _, m := range Modules {
		pats = append(pats, "*/"+m+".ko.xz")
	}
	script := `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "${@:3}"`
	if _, err := run(ctx, "", "bash", append([]string{"-c", script, "unpack", debs[0], x}, pats...)...); err != nil {
		return err
	}
	stage := filepath.Join(dl, "k")
	if err := os.MkdirAll(filepath.Join(stage, "modules"), 0o755); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(x, "boot", "vmlinuz-"+ver), filepath.Join(stage, "vmlinuz")); err != nil {
		return err
	}
	found := map[string][]string{}
	filepath.WalkDir(filepath.Join(x, "lib/modules"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			name := strings.TrimSuffix(d.Name(), ".ko.xz")
			found[name] = append(found[name], p)
		}
		return nil
	})
	for _, m := range Modules {
		if len(found[m]) != 1 {
			return fmt.Errorf("%s: want one %s.ko.xz, found %d", pkg, m, len(found[m]))
		}
		if _, err := run(ctx, "", "bash", "-c", `xz -dc "$1" > "$2"`, "xz", found[m][0], filepath.Join(stage, "modules", m+".ko")); err != nil {
			return err
		}
	}
	dst := filepath.Join(cache, "kernel", ver)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	os.RemoveAll(dst)
	return os.Rename(stage, dst)
}
