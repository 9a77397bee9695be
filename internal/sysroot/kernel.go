package sysroot

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// KernelLayout is where a deployment's kernel, initramfs and devicetree
// are, relative to the deployment root, and the names they are installed
// under in boot/ostree/STATEROOT-BOOTCSUM.
type KernelLayout struct {
	// BootDir is the directory holding the files (usr/lib/modules/KVER,
	// usr/lib/ostree-boot or boot).
	BootDir string

	Kernel, KernelName       string
	HMAC, HMACName           string // optional FIPS .vmlinuz.hmac
	Initramfs, InitramfsName string // optional
	// Devicetree is a file (DevicetreeName set) or, with DevicetreeName
	// empty, the dtb directory installed whole.
	Devicetree, DevicetreeName string
	// Aboot is an Android boot image (aboot.img beside the kernel, libostree
	// 2023.8+), installed as AbootName; not part of the boot checksum.
	Aboot, AbootName string
	BootCsum         string
}

// FindKernel locates the kernel in the deployment tree at root, as
// libostree does: usr/lib/modules/KVER/vmlinuz (boot checksum = sha256 of
// kernel, initramfs and devicetree), or the legacy usr/lib/ostree-boot
// or boot with checksums in the file names. The legacy layout wins only
// when it has an initramfs and the modules layout has none.
func FindKernel(root string, skipDTB bool) (*KernelLayout, error) {
	return findKernel(root, skipDTB, true)
}

// findKernel is FindKernel; without withCsum it leaves the modules
// layout's BootCsum empty instead of reading the kernel and initramfs
// again, for when the deployment's boot checksum is known.
func findKernel(root string, skipDTB, withCsum bool) (*KernelLayout, error) {
	mod, err := kernelFromModules(root, skipDTB, withCsum)
	if err != nil {
		return nil, err
	}
	legacy, err := kernelFromLegacy(root)
	if err != nil {
		return nil, err
	}
	switch {
	case legacy == nil && mod == nil:
		return nil, fmt.Errorf("Failed to find kernel in /usr/lib/modules, /usr/lib/ostree-boot or /boot: %w", errdefs.ErrNotFound)
	case legacy == nil:
		return mod, nil
	case mod != nil && mod.Initramfs == "" && legacy.Initramfs != "":
		return legacy, nil
	case mod != nil:
		return mod, nil
	}
	return legacy, nil
}

// readDirUnsorted lists a directory in readdir order, as libostree walks
// it (the first matching kernel directory wins).
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

func kernelFromModules(root string, skipDTB, withCsum bool) (*KernelLayout, error) {
	modules := filepath.Join(root, "usr/lib/modules")
	ents, err := readDirUnsorted(modules)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kvers []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		fi, err := os.Stat(filepath.Join(modules, e.Name(), "vmlinuz"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("fstatat(%s/vmlinuz): %w", e.Name(), err)
		}
		if fi.Mode().IsRegular() {
			kvers = append(kvers, e.Name())
		}
	}
	switch len(kvers) {
	case 0:
		return nil, nil
	case 1:
	default:
		// libostree boots whichever readdir returns first, which
		// differs between filesystems; refuse to guess.
		sort.Strings(kvers)
		return nil, fmt.Errorf("multiple kernels in /usr/lib/modules: %s: %w", strings.Join(kvers, ", "), errdefs.ErrInvalid)
	}
	kver := kvers[0]
	dir := filepath.Join(modules, kver)
	l := &KernelLayout{
		BootDir: filepath.Join("usr/lib/modules", kver),
		Kernel:  "vmlinuz", KernelName: "vmlinuz-" + kver,
	}
	var h hash.Hash
	if withCsum {
		h = sha256.New()
	}
	if _, err := hashFile(h, filepath.Join(dir, "vmlinuz")); err != nil {
		return nil, err
	}
	for _, name := range []string{"initramfs.img", "initramfs"} {
		ok, err := hashFile(h, filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if ok {
			l.Initramfs, l.InitramfsName = name, "initramfs-"+kver+".img"
			break
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "aboot.img")); err == nil && fi.Mode().IsRegular() {
		l.Aboot, l.AbootName = "aboot.img", "aboot-"+kver+".img"
	}
	if !skipDTB {
		ok, err := hashFile(h, filepath.Join(dir, "devicetree"))
		if err != nil {
			return nil, err
		}
		if ok {
			l.Devicetree, l.DevicetreeName = "devicetree", "devicetree-"+kver
		} else if fi, err := os.Stat(filepath.Join(dir, "dtb")); err == nil && fi.IsDir() {
			l.Devicetree = "dtb"
			if err := hashDir(h, filepath.Join(dir, "dtb")); err != nil {
				return nil, err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".vmlinuz.hmac")); err == nil {
		l.HMAC, l.HMACName = ".vmlinuz.hmac", "."+l.KernelName+".hmac"
	}
	if h != nil {
		l.BootCsum = fmt.Sprintf("%x", h.Sum(nil))
	}
	return l, nil
}

// hashFile adds the file at path to h (nil: only opens it); a missing
// file adds nothing.
func hashFile(h hash.Hash, path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if h == nil {
		return true, nil
	}
	if _, err := io.Copy(h, f); err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	return true, nil
}

// hashDir adds every file under dir, names sorted at each level.
func hashDir(h hash.Hash, dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if err := hashDir(h, p); err != nil {
				return err
			}
			continue
		}
		if _, err := hashFile(h, p); err != nil {
			return err
		}
	}
	return nil
}

func kernelFromLegacy(root string) (*KernelLayout, error) {
	var dir, rel string
	for _, p := range []string{"usr/lib/ostree-boot", "boot"} {
		fi, err := os.Stat(filepath.Join(root, p))
		if err == nil && fi.IsDir() {
			dir, rel = filepath.Join(root, p), p
			break
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("openat(%s): %w", p, err)
		}
	}
	if dir == "" {
		return nil, nil
	}
	ents, err := readDirUnsorted(dir)
	if err != nil {
		return nil, err
	}
	l := &KernelLayout{BootDir: rel}
	var kcsum, icsum, dcsum string
	split := func(name string) (string, string, bool) {
		i := strings.LastIndexByte(name, '-')
		c := name[i+1:]
		if _, err := object.ParseChecksum(c); err != nil || len(c) != 64 {
			return "", "", false
		}
		return name[:i], c, true
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case l.Kernel == "" && strings.HasPrefix(name, "vmlinuz-"):
			if nv, c, ok := split(name); ok {
				l.Kernel, l.KernelName, kcsum = name, nv, c
			}
		case l.Initramfs == "" && strings.HasPrefix(name, "initramfs-"):
			if nv, c, ok := split(name); ok {
				l.Initramfs, l.InitramfsName, icsum = name, nv, c
			}
		case l.Devicetree == "" && strings.HasPrefix(name, "devicetree-"):
			if nv, c, ok := split(name); ok {
				l.Devicetree, l.DevicetreeName, dcsum = name, nv, c
			}
		}
		if l.Kernel != "" && l.Initramfs != "" && l.Devicetree != "" {
			break
		}
	}
	if l.Kernel == "" {
		return nil, nil
	}
	if l.Initramfs != "" && kcsum != icsum {
		return nil, fmt.Errorf("Mismatched kernel checksum vs initrd")
	}
	if l.Devicetree != "" && kcsum != dcsum {
		return nil, fmt.Errorf("Mismatched kernel checksum vs device tree in tree: %w", errdefs.ErrNotFound)
	}
	l.BootCsum = kcsum
	return l, nil
}
