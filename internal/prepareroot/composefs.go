package prepareroot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsverity"
)

// ComposefsImage is a deployment's composefs image, relative to its
// directory: an EROFS whose files redirect into the repository's objects.
const ComposefsImage = ".ostree.cfs"

// Paths under the run directory, as libostree uses them.
const (
	privateDir   = "ostree/.private"             // mode 0: only root looks inside
	cfsLowerDir  = privateDir + "/cfsroot-lower" // where the EROFS is mounted until the overlay holds it
	transientDir = privateDir + "/root"          // upper and work of a transient root
	objectsRel   = "ostree/repo/objects"         // the data-only layer, under the sysroot
)

// The composefs header at the start of the image, before the EROFS
// superblock at 1024: magic, version, flags, composefs version, reserved.
const (
	cfsHeaderSize = 32
	cfsMagic      = 0xd078629a
	cfsFlagHasACL = 1 << 0
)

// errNoImage marks a deployment without a composefs image.
var errNoImage = errors.New("no composefs image")

// mountComposefs mounts the deployment's composefs image on p.tmp: the
// EROFS read-only, then an overlay that takes its metadata from the EROFS
// and the contents of regular files from the repository's objects. It
// returns errNoImage, with nothing mounted, when the image does not exist.
func (p *plan) mountComposefs(m *mounts) error {
	image := p.Deployment.Path + "/" + ComposefsImage
	fd, err := openRaw(image, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return errNoImage
	}
	if err != nil {
		return err
	}
	// os.NewFile on a blocking descriptor does not involve the netpoller.
	f := os.NewFile(uintptr(fd), image)
	defer f.Close()
	if p.signed {
		if err := checkImageDigest(f, p.imageDigest); err != nil {
			return err
		}
	}
	var hdr [cfsHeaderSize]byte
	if n, err := unix.Pread(fd, hdr[:], 0); err != nil {
		return &fs.PathError{Op: "read", Path: image, Err: err}
	} else if n != len(hdr) || binary.LittleEndian.Uint32(hdr[0:]) != cfsMagic {
		return fmt.Errorf("%s is not a composefs image: no composefs header", image)
	}
	lower, err := p.mkdirs(m)
	if err != nil {
		return err
	}
	opts := ""
	if binary.LittleEndian.Uint32(hdr[8:])&cfsFlagHasACL == 0 {
		opts = "noacl"
	}
	if err := mountErofs(fd, image, lower, opts, false); err != nil {
		return err
	}
	// The overlay keeps the EROFS in use; its own mount point goes.
	defer func() { _ = sysUnmount(lower, unix.MNT_DETACH) }()
	return p.mountOverlayRoot(m, lower)
}

// checkImageDigest compares the image's fs-verity digest, as the kernel
// measures it, with the one the signed commit names.
func checkImageDigest(f *os.File, want [32]byte) error {
	got, err := fsverity.Measure(f)
	switch {
	case errors.Is(err, fsverity.ErrNotEnabled):
		return fmt.Errorf("fsverity not enabled on composefs image %s", f.Name())
	case errors.Is(err, fsverity.ErrNotSupported):
		return fmt.Errorf("fsverity not supported for composefs image %s: %w", f.Name(), err)
	case err != nil:
		return fmt.Errorf("measure fsverity of %s: %w", f.Name(), err)
	case got != want:
		return fmt.Errorf("Wrong fsverity digest in composefs image %s: %s, the commit expects %s",
			f.Name(), fsverity.FormatDigest(got), fsverity.FormatDigest(want))
	}
	return nil
}

// mkdirs creates libostree's private run directories, removing on undo
// those it created, and returns the EROFS mount point.
func (p *plan) mkdirs(m *mounts) (string, error) {
	type dir struct {
		rel  string
		mode uint32
	}
	dirs := []dir{{privateDir, 0}, {cfsLowerDir, 0o700}}
	if p.Config.RootTransient {
		dirs = append(dirs, dir{transientDir, 0o755}, dir{transientDir + "/upper", 0o755}, dir{transientDir + "/work", 0o700})
	}
	for _, d := range dirs {
		dir := p.RunDir + "/" + d.rel
		if err := unix.Mkdir(dir, d.mode); errors.Is(err, unix.EEXIST) {
			continue
		} else if err != nil {
			return "", &fs.PathError{Op: "mkdir", Path: dir, Err: err}
		}
		if d.rel == transientDir+"/work" {
			// The overlay leaves its own directories in its workdir;
			// by undo time it is unmounted.
			m.onUndo(func() { _ = os.RemoveAll(dir) })
		} else {
			m.onUndo(func() { _ = unix.Rmdir(dir) })
		}
	}
	return p.RunDir + "/" + cfsLowerDir, nil
}

// mountErofs mounts the image open on fd read-only at target: from the
// file itself (Linux 6.12), else, when the kernel wants a block device,
// through a loop device. forceLoop skips the first attempt (tests).
func mountErofs(fd int, image, target, opts string, forceLoop bool) error {
	var err error = unix.ENOTBLK
	if !forceLoop {
		err = sysMount("/proc/self/fd/"+strconv.Itoa(fd), target, "erofs", unix.MS_RDONLY|unix.MS_SILENT, opts)
	}
	if errors.Is(err, unix.ENOTBLK) {
		dev, lfd, lerr := attachLoop(fd, image)
		if lerr != nil {
			return fmt.Errorf("composefs image %s: %w", image, lerr)
		}
		// The mount holds the device; autoclear frees it when it goes.
		err = sysMount(dev, target, "erofs", unix.MS_RDONLY|unix.MS_SILENT, opts)
		unix.Close(lfd)
	}
	if err != nil {
		return fmt.Errorf("mount composefs image %s (erofs) on %s: %w", image, target, err)
	}
	return nil
}

// mountOverlayRoot mounts the composefs overlay on p.tmp with the EROFS at
// lower. Kernels before 6.5 have no data-only layers ("::") and refuse the
// options with EINVAL; like libcomposefs it then retries with the objects
// as an ordinary lower layer.
func (p *plan) mountOverlayRoot(m *mounts, lower string) error {
	objects := p.Sysroot + "/" + objectsRel
	if err := requireDir(objects, "repository objects"); err != nil {
		return err
	}
	paths := []string{lower, objects}
	var flags uintptr = unix.MS_SILENT
	extra := ""
	if c := p.Config; c.RootTransient {
		up, work := p.RunDir+"/"+transientDir+"/upper", p.RunDir+"/"+transientDir+"/work"
		paths = append(paths, up, work)
		extra = ",upperdir=" + up + ",workdir=" + work
		if c.RootTransientRO {
			flags |= unix.MS_RDONLY
		}
	} else {
		flags |= unix.MS_RDONLY
	}
	if p.Config.Verity {
		extra += ",verity=require"
	}
	for _, d := range paths {
		if strings.ContainsAny(d, ",:\\") {
			return fmt.Errorf("overlay directory %s: a comma, colon or backslash in the path cannot be passed to the kernel", d)
		}
	}
	opts := "metacopy=on,redirect_dir=on,lowerdir=" + lower + "::" + objects + extra
	err := sysMount("composefs", p.tmp, "overlay", flags, opts)
	if errors.Is(err, unix.EINVAL) {
		opts = "metacopy=on,redirect_dir=on,lowerdir=" + lower + ":" + objects + extra
		err = sysMount("composefs", p.tmp, "overlay", flags&^unix.MS_SILENT, opts)
	}
	if err != nil {
		return fmt.Errorf("mount overlay on %s (%s): %w", p.tmp, opts, err)
	}
	m.onUndo(func() { unmount(p.tmp) })
	return nil
}
