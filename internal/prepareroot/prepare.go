package prepareroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// MountVarFlag, under the run directory, is created by an initramfs that
// wants prepare-root to bind the stateroot's /var itself, instead of the
// systemd generator doing it after switch-root.
const MountVarFlag = "ostree/initramfs-mount-var"

// Options say where Prepare works. The zero values of Root and RunDir mean
// the initramfs' own "/" and "/run".
type Options struct {
	Sysroot string // the mounted physical root; becomes the deployment's root
	Cmdline string // the kernel command line itself, not a path
	Root    string // holds usr/lib and etc/ostree/prepare-root.conf
	RunDir  string // where ostree-booted and ostree/ are written
}

func (o Options) withDefaults() (Options, error) {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.RunDir == "" {
		o.RunDir = "/run"
	}
	if o.Sysroot == "" {
		return o, errors.New("no sysroot given")
	}
	var err error
	if o.Sysroot, err = filepath.Abs(o.Sysroot); err != nil {
		return o, err
	}
	if o.Sysroot == "/" {
		return o, errors.New("the sysroot cannot be /: mount the physical root elsewhere first")
	}
	return o, nil
}

// Result says what Prepare set up.
type Result struct {
	Target     string // the ostree= argument
	Deployment *Deployment
	Config     Config
	VarBound   bool // /var was bound here rather than by the generator
	Composefs  bool // the root is the deployment's composefs image
}

// plan is everything Prepare decided before it mounts anything.
type plan struct {
	Options
	Result
	tmp      string // where the new root is assembled: Sysroot + ".tmp"
	unlocked bool   // the deployment has a /usr overlay (ostree admin unlock)
	boot     bool   // bind the physical /boot: it is on the physical root
	dev, ino uint64 // identity of the deployment directory

	signed      bool     // the commit's signature verified: the image must have imageDigest
	imageDigest [32]byte // the composefs image's fs-verity digest, from the signed commit

	transientEtc string // set once the /etc overlay is mounted
}

// Prepare turns the physical root mounted at o.Sysroot into the root of the
// deployment that the kernel command line's ostree= argument names, ready
// for switch_root. The physical root stays reachable at Sysroot/sysroot.
// On error every mount it made is undone.
func Prepare(o Options) (*Result, error) {
	p, err := newPlan(o)
	if err != nil {
		return nil, err
	}
	// In the initramfs /run/ostree is new: one mkdir does; MkdirAll
	// would stat it and /run first.
	if dir := filepath.Join(p.RunDir, "ostree"); os.Mkdir(dir, 0o755) != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	var m mounts
	if err := p.assemble(&m); err != nil {
		m.rollback()
		return nil, err
	}
	_ = unix.Rmdir(p.tmp) // a directory (makeTmp); only a leftover from elsewhere can keep it
	return &p.Result, nil
}

// newPlan validates the command line, the deployment and the config.
func newPlan(o Options) (*plan, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &plan{Options: o, tmp: o.Sysroot + ".tmp"}
	target, ok := ostreeTarget(o.Cmdline)
	if !ok {
		return nil, errors.New("no ostree= argument on the kernel command line")
	}
	p.Target = target
	if mp, err := isMountPoint(o.Sysroot); err != nil {
		return nil, err
	} else if !mp {
		return nil, fmt.Errorf("sysroot %s is not a mount point", o.Sysroot)
	}
	if p.Deployment, err = ResolveDeployment(o.Sysroot, target); err != nil {
		return nil, fmt.Errorf("ostree=%s: %w", target, err)
	}
	if p.Config, err = LoadConfig(o.Root, o.Sysroot, o.Cmdline); err != nil {
		return nil, err
	}
	if p.Config.Signed {
		// Checked before anything is mounted; the image's digest is
		// compared once it is open.
		keys, err := loadKeys(filepath.Join(o.Root, p.Config.Keypath))
		if err != nil {
			return nil, fmt.Errorf("composefs: %w", err)
		}
		csum, _, _ := strings.Cut(p.Deployment.Name, ".")
		if p.imageDigest, err = signedImageDigest(filepath.Join(o.Sysroot, objectsRel), csum, keys); err != nil {
			return nil, fmt.Errorf("composefs: %w", err)
		}
		p.signed = true
	}
	p.VarBound = exists(filepath.Join(o.RunDir, MountVarFlag))
	d := p.Deployment.Path
	need := []string{"usr", "sysroot"}
	if p.Config.EtcTransient {
		need = append(need, "usr/etc", "etc")
	} else if p.Config.SysrootReadonly {
		need = append(need, "etc")
	}
	if p.VarBound {
		need = append(need, "var")
	}
	if p.unlocked = exists(filepath.Join(d, ".usr-ovl-work")); p.unlocked {
		need = append(need, ".usr-ovl-upper")
	}
	for _, n := range need {
		if err := requireDir(filepath.Join(d, n), "deployment's"); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Lstat(filepath.Join(o.Sysroot, "boot/loader")); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		p.boot = isDir(filepath.Join(d, "boot"))
	}
	var st unix.Stat_t
	if err := unix.Stat(d, &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", d, err)
	}
	p.dev, p.ino = uint64(st.Dev), st.Ino
	return p, nil
}

// assemble builds the new root at p.tmp and moves it onto the sysroot,
// recording every step in m.
func (p *plan) assemble(m *mounts) error {
	if err := sysMount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := p.makeTmp(m); err != nil {
		return err
	}
	tmp := p.tmp
	if err := p.mountRoot(m); err != nil {
		return err
	}
	if err := p.mountEtc(m); err != nil {
		return err
	}
	if err := p.mountUsr(m); err != nil {
		return err
	}
	if p.Composefs {
		p.boot = p.boot && isDir(tmp+"/boot")
	}
	if p.boot {
		if err := m.bind(p.Sysroot+"/boot", tmp+"/boot", false); err != nil {
			return err
		}
	}
	stateVar := filepath.Join(p.Sysroot, p.Deployment.VarRel())
	if p.Config.SysrootReadonly {
		// A mount of its own keeps the stateroot's var writable below the
		// read-only physical root, however /var is later bound to it.
		if err := m.bind(stateVar, stateVar, false); err != nil {
			return err
		}
	}
	if p.VarBound {
		if err := m.bind(stateVar, tmp+"/var", false); err != nil {
			return err
		}
	}
	// The physical root is bound, not moved, below the new root: moving a
	// mount below itself would make a cycle.
	phys := tmp + "/sysroot"
	if err := m.mount(p.Sysroot, phys, "", unix.MS_BIND|unix.MS_REC|unix.MS_SILENT, ""); err != nil {
		return err
	}
	if err := p.writeRunFiles(m); err != nil {
		return err
	}
	ro := p.Config.SysrootReadonly
	if ro {
		if err := remountBind(phys, true); err != nil {
			return err
		}
		m.onUndo(func() { _ = remountBind(phys, false) })
	}
	if err := sysUnmount(p.Sysroot, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount %s: %w", p.Sysroot, err)
	}
	// Undone by putting the copy of the physical root back in its place.
	m.onUndo(func() {
		if sysMount(phys, p.Sysroot, "", unix.MS_MOVE, "") == nil && ro {
			_ = remountBind(p.Sysroot, false)
		}
	})
	if err := sysMount(tmp, p.Sysroot, "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s to %s: %w", tmp, p.Sysroot, err)
	}
	return nil
}

// makeTmp creates the assembly mount point, reusing one an earlier failed
// run left behind, with anything still mounted on it detached.
func (p *plan) makeTmp(m *mounts) error {
	fi, err := os.Lstat(p.tmp)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(p.tmp, 0o755); err != nil {
			return err
		}
		m.onUndo(func() { _ = os.Remove(p.tmp) })
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", p.tmp)
	}
	for {
		mp, err := isMountPoint(p.tmp)
		if err != nil || !mp {
			return err
		}
		if err := sysUnmount(p.tmp, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount leftover %s: %w", p.tmp, err)
		}
	}
}

// writeRunFiles records the root setup for the booted system.
func (p *plan) writeRunFiles(m *mounts) error {
	b := Booted{Dev: p.dev, Ino: p.ino, SysrootRO: p.Config.SysrootReadonly, TransientEtc: p.transientEtc,
		RootTransient: p.Config.RootTransient, RootTransientRO: p.Config.RootTransientRO}
	if p.Composefs {
		b.Composefs, b.ComposefsVerity = true, p.Config.Verity
		if p.signed {
			b.ComposefsSigned = p.Config.Keypath
		}
	}
	data, err := b.Marshal()
	if err != nil {
		return err
	}
	booted := filepath.Join(p.RunDir, BootedFile)
	if err := writeFileAtomic(booted, data, 0o640); err != nil {
		return err
	}
	m.onUndo(func() { _ = os.Remove(booted) })
	if !p.Config.SysrootReadonly {
		return nil
	}
	stamp := filepath.Join(p.RunDir, SysrootROStamp)
	if err := writeFileAtomic(stamp, nil, 0o644); err != nil {
		return err
	}
	m.onUndo(func() { _ = os.Remove(stamp) })
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// overlayOptions is the option string of an overlay mount. The kernel
// splits it at commas and colons, so paths holding them cannot be used.
func overlayOptions(lower, upper, work string) (string, error) {
	for _, p := range []string{lower, upper, work} {
		if strings.ContainsAny(p, ",:\\") {
			return "", fmt.Errorf("overlay directory %s: a comma, colon or backslash in the path cannot be passed to the kernel", p)
		}
	}
	return "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, nil
}

// isDir reports whether p is a directory and not a link to one.
func isDir(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir()
}
