package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/bootloader"
)

// stagedInitrdsDir is where overlay initrds wait to be installed.
const stagedInitrdsDir = "/run/ostree/staged-initrds"

// installKernel copies (or hard links) d's kernel, initramfs, devicetree
// and HMAC into boot/ostree/STATEROOT-BOOTCSUM once, and writes its BLS
// entry for boot version bv.
func (s *Sysroot) installKernel(ctx context.Context, bv int, d *Deployment, n int, showStateroot bool) error {
	root := s.Abs(d.RelPath())
	kl, err := findKernel(root, s.Debug.NoDTB, false) // d.BootCsum is known
	if err != nil {
		return err
	}
	bootcsumDir := fmt.Sprintf("ostree/%s-%s", d.Stateroot, d.BootCsum)
	dest := s.Abs("boot/" + bootcsumDir)
	if err := os.MkdirAll(dest, 0o775); err != nil {
		return err
	}
	entriesDir := s.Abs(fmt.Sprintf("boot/loader.%d/entries", bv))
	if err := os.MkdirAll(entriesDir, 0o775); err != nil {
		return err
	}
	src := filepath.Join(root, kl.BootDir)
	c := copier{noXattrs: s.Debug.NoXattrs}
	for _, f := range [][2]string{
		{kl.Kernel, kl.KernelName},
		{kl.Initramfs, kl.InitramfsName},
		{kl.Devicetree, kl.DevicetreeName},
		{kl.HMAC, kl.HMACName},
		{kl.Aboot, kl.AbootName},
	} {
		if f[0] == "" || f[1] == "" {
			continue
		}
		if err := installIntoBoot(filepath.Join(src, f[0]), filepath.Join(dest, f[1])); err != nil {
			return err
		}
	}
	if kl.Devicetree != "" && kl.DevicetreeName == "" {
		if err := c.copyDir(filepath.Join(src, kl.Devicetree), filepath.Join(dest, kl.Devicetree)); err != nil {
			return err
		}
	}
	prefix, err := s.bootPrefix(ctx)
	if err != nil {
		return err
	}
	var overlays []string
	for _, sum := range d.OverlayInitrds {
		rel := initramfsOverlays + "/" + sum + ".img"
		if err := os.MkdirAll(s.Abs(initramfsOverlays), 0o755); err != nil {
			return err
		}
		if err := installIntoBoot(filepath.Join(stagedInitrdsDir, sum), s.Abs(rel)); err != nil {
			return err
		}
		overlays = append(overlays, prefix+strings.TrimPrefix(rel, "boot/"))
	}

	title, err := osReleaseTitle(root)
	if err != nil {
		return err
	}
	if v := s.commitVersion(ctx, d.Csum); v != "" && !strings.Contains(title, v) {
		title += " " + v
	}
	if showStateroot {
		title += fmt.Sprintf(" (ostree:%s:%d)", d.Stateroot, d.Index)
	} else {
		title += fmt.Sprintf(" (ostree:%d)", d.Index)
	}
	if d.BootConfig == nil {
		d.BootConfig = bootloader.NewConfig()
	}
	bc := d.BootConfig
	bc.Set("title", title)
	bc.Set("version", fmt.Sprint(n-d.Index))
	bc.Set("linux", prefix+bootcsumDir+"/"+kl.KernelName)
	kargs := bootloader.ParseKernelArgs(bc.Value("options"))
	if kl.InitramfsName != "" {
		bc.Set("initrd", prefix+bootcsumDir+"/"+kl.InitramfsName)
		bc.OverlayInitrds = overlays
	} else {
		kargs.Replace(fmt.Sprintf("init=/ostree/boot.%d/%s/%s/%d/usr/lib/ostree/ostree-prepare-root", bv, d.Stateroot, d.BootCsum, d.BootSerial))
	}
	switch {
	case kl.DevicetreeName != "":
		bc.Set("devicetree", prefix+bootcsumDir+"/"+kl.DevicetreeName)
	case kl.Devicetree != "":
		bc.Set("fdtdir", prefix+bootcsumDir+"/"+kl.Devicetree)
	}
	kargs.Replace(fmt.Sprintf("ostree=/ostree/boot.%d/%s/%s/%d", bv, d.Stateroot, d.BootCsum, d.BootSerial))
	bc.Set("options", kargs.String())
	if !s.Opts.Compat2022 {
		// libostree 2025 names the Android boot image and its config in
		// every entry: the installed copy, else where the deployment
		// would hold one.
		dep := "/" + d.RelPath()
		aboot := dep + "/usr/lib/ostree-boot/aboot.img"
		if kl.AbootName != "" {
			aboot = "/" + bootcsumDir + "/" + kl.AbootName
		}
		bc.Set("aboot", aboot)
		bc.Set("abootcfg", dep+"/usr/lib/ostree-boot/aboot.cfg")
	}
	if d.Index != 0 {
		r, err := s.Repo(ctx)
		if err != nil {
			return err
		}
		for _, kv := range blsAppendExceptDefault(r.Config().Value) {
			bc.Set(kv[0], kv[1])
		}
	}
	data, err := bc.Marshal()
	if err != nil {
		return err
	}
	counter, err := s.entryCounterSuffix(ctx, d)
	if err != nil {
		return err
	}
	name := s.entryStem(n, d.Index, d.Stateroot) + counter + ".conf"
	return os.WriteFile(filepath.Join(entriesDir, name), data, 0o644)
}

// blsAppendExceptDefault parses sysroot.bls-append-except-default:
// "key=value;key2=value2" pairs added to every entry but the default.
func blsAppendExceptDefault(get func(group, key string) (string, bool)) [][2]string {
	v, ok := get("sysroot", "bls-append-except-default")
	if !ok {
		return nil
	}
	var out [][2]string
	for _, item := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if ok && k != "" {
			out = append(out, [2]string{k, val})
		}
	}
	return out
}

// installIntoBoot hard links src to dst, or copies it (owner, mode,
// fdatasync) across filesystems; an existing dst is kept.
func installIntoBoot(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	err := os.Link(src, dst)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EXDEV) && !errors.Is(err, unix.EMLINK) {
		return fmt.Errorf("linkat(%s): %w", filepath.Base(dst), err)
	}
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("regfile copy: %w", err)
	}
	if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
		tmp.Close()
		return fmt.Errorf("fchown: %w", err)
	}
	if err := tmp.Chmod(fs.FileMode(st.Mode & 0o777)); err != nil {
		tmp.Close()
		return fmt.Errorf("fchmod: %w", err)
	}
	if err := unix.Fdatasync(int(tmp.Fd())); err != nil {
		tmp.Close()
		return fmt.Errorf("fdatasync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link, not rename: an existing file wins, like O_TMPFILE+linkat.
	if err := os.Link(tmp.Name(), dst); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// osReleaseTitle is PRETTY_NAME (or ID) from usr/lib/os-release, or
// etc/os-release when the former is missing.
func osReleaseTitle(root string) (string, error) {
	p := filepath.Join(root, "usr/lib/os-release")
	what := "/usr/lib/os-release"
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		p, what = filepath.Join(root, "etc/os-release"), "/etc/os-release"
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("Reading %s: %w", what, err)
	}
	vals := parseOSRelease(string(b))
	if v, ok := vals["PRETTY_NAME"]; ok {
		return v, nil
	}
	if v, ok := vals["ID"]; ok {
		return v, nil
	}
	return "", fmt.Errorf("No PRETTY_NAME or ID in /etc/os-release")
}

// parseOSRelease reads KEY=VALUE lines with shell quoting.
func parseOSRelease(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uv, ok := shellUnquote(v); ok {
			out[k] = uv
		}
	}
	return out
}

// shellUnquote undoes sh quoting the way g_shell_unquote does for the
// values os-release uses: single quotes, double quotes with backslash
// escapes, and backslash escapes outside quotes.
func shellUnquote(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\`$\n", s[i+1]) >= 0 {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", false
			}
		case '\\':
			if i+1 < len(s) {
				i++
				if s[i] != '\n' {
					b.WriteByte(s[i])
				}
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// bootPrefix is what entry paths start with: "/boot/" when the repo's
// sysroot.bootprefix is set (for loaders that read /boot as part of the
// root filesystem, since libostree 2023.6), else "/".
func (s *Sysroot) bootPrefix(ctx context.Context) (string, error) {
	r, err := s.Repo(ctx)
	if err != nil {
		return "", err
	}
	on, err := r.Config().Bool("sysroot", "bootprefix", false)
	if err != nil {
		return "", err
	}
	if on {
		return "/boot/", nil
	}
	return "/", nil
}
