package prepareroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// mountRoot puts the deployment at p.tmp: its composefs image when the
// config asks for one, else a bind mount of its directory.
func (p *plan) mountRoot(m *mounts) error {
	if p.Config.Composefs != ComposefsNo {
		err := p.mountComposefs(m)
		switch {
		case err == nil:
			p.Composefs = true
			return nil
		case errors.Is(err, errNoImage) && p.Config.Composefs == ComposefsMaybe:
			if p.Config.RootTransient {
				return fmt.Errorf("composefs: no image %s/%s: root.transient requires composefs", p.Deployment.Path, ComposefsImage)
			}
		case errors.Is(err, errNoImage):
			return fmt.Errorf("composefs: failed to mount: %s/%s does not exist", p.Deployment.Path, ComposefsImage)
		default:
			return fmt.Errorf("composefs: failed to mount: %w", err)
		}
	}
	return m.bind(p.Deployment.Path, p.tmp, false)
}

// mountUsr makes /usr read-only, or mounts the overlay of `ostree admin
// unlock`. A composefs root is read-only already; its signature would not
// cover an unlocked /usr, so a signed root ignores one.
func (p *plan) mountUsr(m *mounts) error {
	usr := p.tmp + "/usr"
	switch {
	case p.unlocked && !(p.Composefs && p.signed):
		// The upper and work dirs are the deployment directory's own,
		// which a composefs root does not show.
		d := p.tmp
		if p.Composefs {
			d = p.Deployment.Path
		}
		opts, err := overlayOptions(usr, d+"/.usr-ovl-upper", d+"/.usr-ovl-work")
		if err != nil {
			return err
		}
		return m.mount("overlay", usr, "overlay", unix.MS_SILENT, opts)
	case p.Composefs:
		return nil
	}
	return m.bind(usr, usr, true)
}

// mountEtc gives the new root a writable /etc when the physical root will
// be read-only, or a transient one whose changes vanish at shutdown.
func (p *plan) mountEtc(m *mounts) error {
	etc := p.tmp + "/etc"
	switch {
	case p.Config.EtcTransient:
		dir := filepath.Join(p.RunDir, "ostree/transient-etc")
		if err := os.Mkdir(dir, 0o755); err == nil {
			m.onUndo(func() { _ = os.Remove(dir) })
		} else if !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := m.mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_SILENT, "mode=0755"); err != nil {
			return err
		}
		for _, d := range []string{"upper", "work"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
				return err
			}
		}
		p.transientEtc = dir
		opts, err := overlayOptions(p.tmp+"/usr/etc", dir+"/upper", dir+"/work")
		if err != nil {
			return err
		}
		return m.mount("overlay", etc, "overlay", unix.MS_SILENT, opts)
	case p.Config.SysrootReadonly || p.Composefs || p.Config.RootTransient:
		// A composefs root shows the image's /etc; the deployment's
		// merged /etc is in its directory.
		src := etc
		if p.Composefs {
			src = p.Deployment.Path + "/etc"
		}
		if err := m.bind(src, etc, false); err != nil {
			return err
		}
		return remountBind(etc, false)
	}
	return nil
}
