package prepareroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Deployment is the deployment an ostree= argument names, found under a
// sysroot.
type Deployment struct {
	Stateroot string
	Name      string // CSUM.SERIAL
	Rel       string // ostree/deploy/STATEROOT/deploy/CSUM.SERIAL
	Path      string // Rel under the sysroot
}

// VarRel is the stateroot's shared /var, relative to the sysroot.
func (d *Deployment) VarRel() string { return path.Join("ostree/deploy", d.Stateroot, "var") }

// parseDeployRel splits rel, a path relative to the sysroot, when it is a
// deployment's: ostree/deploy/STATEROOT/deploy/CSUM.SERIAL, with CSUM 64
// lowercase hex digits and SERIAL decimal. Hand-written rather than a
// regexp: compiling one at init, and the regexp and Unicode tables it
// links, cost the initramfs binary more start-up time than all its work.
func parseDeployRel(rel string) (stateroot, name string, ok bool) {
	rest, ok := strings.CutPrefix(rel, "ostree/deploy/")
	if !ok {
		return "", "", false
	}
	stateroot, rest, ok = strings.Cut(rest, "/")
	if !ok || stateroot == "" {
		return "", "", false
	}
	name, ok = strings.CutPrefix(rest, "deploy/")
	if !ok {
		return "", "", false
	}
	csum, serial, ok := strings.Cut(name, ".")
	if !ok || len(csum) != 64 || serial == "" {
		return "", "", false
	}
	for i := 0; i < len(csum); i++ {
		if c := csum[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", "", false
		}
	}
	for i := 0; i < len(serial); i++ {
		if c := serial[i]; c < '0' || c > '9' {
			return "", "", false
		}
	}
	return stateroot, name, true
}

// maxLinks bounds symlink hops, as the kernel's ELOOP limit does.
const maxLinks = 40

// errEscapes marks a link that leads out of the sysroot.
var errEscapes = errors.New("points outside the sysroot")

// ResolveDeployment follows the bootlink target (an ostree= value) inside
// sysroot. target must be a symbolic link and must lead, without leaving
// sysroot, to a deployment directory; the stateroot's var must exist.
func ResolveDeployment(sysroot, target string) (*Deployment, error) {
	link := filepath.Join(sysroot, target)
	fi, err := os.Lstat(link)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s does not exist", link)
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink == 0:
		return nil, fmt.Errorf("%s is not a symbolic link", link)
	}
	rel, err := resolveIn(sysroot, target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s is a dangling symbolic link", link)
	case errors.Is(err, errEscapes):
		return nil, fmt.Errorf("%s %v", link, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", link, err)
	}
	stateroot, name, ok := parseDeployRel(rel)
	if !ok {
		return nil, fmt.Errorf("%s resolves to /%s, which is not a deployment (ostree/deploy/STATEROOT/deploy/CSUM.SERIAL)", link, rel)
	}
	d := &Deployment{Stateroot: stateroot, Name: name, Rel: rel, Path: filepath.Join(sysroot, rel)}
	if err := requireDir(d.Path, "deployment"); err != nil {
		return nil, err
	}
	if err := requireDir(filepath.Join(sysroot, d.VarRel()), "stateroot var"); err != nil {
		return nil, err
	}
	return d, nil
}

// requireDir fails unless p is a directory. A symbolic link is refused:
// the mounts made on these paths must stay inside the sysroot, and a link
// would resolve against the initramfs' root.
func requireDir(p, what string) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s directory %s does not exist", what, p)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s %s is not a directory", what, p)
	}
	return nil
}

// resolveIn resolves p as if root were "/": absolute link targets start at
// root, and a ".." above root is an error rather than being clamped, since
// a bootlink that climbs out of the sysroot is broken. It returns the
// resolved path relative to root, with every component existing.
func resolveIn(root, p string) (string, error) {
	var done []string
	todo := strings.Split(p, "/")
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", errEscapes
			}
			done = done[:len(done)-1]
			continue
		}
		cur := path.Join(append(done, c)...)
		fi, err := os.Lstat(filepath.Join(root, cur))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(todo) > 0 && !fi.IsDir() {
				return "", fmt.Errorf("/%s is not a directory", cur)
			}
			done = append(done, c)
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("too many levels of symbolic links")
		}
		t, err := os.Readlink(filepath.Join(root, cur))
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(t, "/") {
			done = done[:0]
		}
		todo = append(strings.Split(t, "/"), todo...)
	}
	return path.Join(done...), nil
}
