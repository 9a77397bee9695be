package composefs

import (
	"fmt"

	"github.com/gostree/gostree/internal/errdefs"
)

// effectiveVersion is the format version written: Version, raised to 1
// when MaxVersion allows it and the tree has a whiteout (a character
// device 0:0), because version 1 changed how whiteouts are marked.
func effectiveVersion(root *wnode, version, maxVer int) int {
	if version >= 1 || maxVer < 1 {
		return version
	}
	found := false
	var visit func(w *wnode)
	visit = func(w *wnode) {
		if found {
			return
		}
		if w.typ() == TypeChar && w.rdev == 0 {
			found = true
			return
		}
		for _, c := range w.children {
			if c.link == nil {
				visit(c)
			}
		}
	}
	visit(root)
	if found {
		return 1
	}
	return version
}

// rewriteForOverlay turns the tree into what overlayfs expects of a
// composefs lower layer: existing trusted.overlay.* xattrs are escaped,
// external files get metacopy (and redirect) xattrs, whiteouts become
// escaped whiteouts, directories get "." and "..", and the root becomes
// opaque with the 256 two-hex-digit whiteout stubs.
func rewriteForOverlay(root *wnode, version int) error {
	if err := rewriteNode(root, root, version); err != nil {
		return err
	}
	if err := root.setXattr(ovlOpaque, []byte("y")); err != nil {
		return err
	}
	selinux, hasSelinux := root.xattr("security.selinux")
	const hex = "0123456789abcdef"
	for i := 0; i < 256; i++ {
		name := string([]byte{hex[i>>4], hex[i&15]})
		if root.lookup(name) != nil {
			continue
		}
		stub := &wnode{
			name: name, parent: root, mode: TypeChar | 0o644, nlink: 1,
			uid: root.uid, gid: root.gid, mtime: root.mtime, nsec: root.nsec,
		}
		if hasSelinux {
			if err := stub.setXattr("security.selinux", selinux); err != nil {
				return err
			}
		}
		root.addChild(stub)
	}
	return nil
}

func (w *wnode) xattr(key string) ([]byte, bool) {
	for _, x := range w.xattrs {
		if x.key == key {
			return x.value, true
		}
	}
	return nil, false
}

func rewriteNode(w, parent *wnode, version int) error {
	if !validMode(w.mode) {
		return fmt.Errorf("%s: invalid file type in mode %o: %w", w.pathname(), w.mode, errdefs.ErrInvalid)
	}
	typ := w.typ()
	external := w.external()
	if external {
		if _, n := chunking(w.size); n > maxChunks {
			return fmt.Errorf("%s: file size %d too big: %w", w.pathname(), w.size, errdefs.ErrInvalid)
		}
	}
	// Escaping renames in place; libcomposefs does not re-charge the
	// budget for the longer names.
	for i := range w.xattrs {
		if k := w.xattrs[i].key; hasPrefix(k, ovlPrefix) {
			w.xattrs[i].key = ovlEscapePrefix + k[len(ovlPrefix):]
		}
	}
	if external {
		var mc []byte
		if w.digest != nil {
			mc = append([]byte{0, 4 + 32, 0, fsverityHashSHA256}, w.digest[:]...)
		}
		if err := w.setXattr(ovlMetacopy, mc); err != nil {
			return err
		}
		if w.payload != "" {
			if err := w.setXattr(ovlRedirect, []byte("/"+w.payload)); err != nil {
				return err
			}
		}
	}
	if typ == TypeChar && w.rdev == 0 {
		w.size = 0
		w.mode = TypeRegular | w.mode&^TypeMask
		type mark struct {
			n        *wnode
			key, val string
		}
		marks := []mark{
			{w, ovlEscWhiteout, ""}, {w, ovlUserWhiteout, ""},
			{parent, ovlEscWhiteouts, ""}, {parent, ovlUserWhiteouts, ""},
		}
		if version >= 1 {
			// Version 1 also marks the directory with opaque=x, the
			// xwhiteouts format of newer overlayfs.
			marks = append(marks, mark{parent, ovlEscOpaque, "x"}, mark{parent, ovlUserOpaque, "x"})
		}
		for _, m := range marks {
			if err := m.n.setXattr(m.key, []byte(m.val)); err != nil {
				return err
			}
		}
	}
	if typ != TypeDir {
		return nil
	}
	dots := &[2]wnode{{name: ".", link: w}, {name: "..", link: parent}}
	w.addChild(&dots[0])
	w.addChild(&dots[1])
	for _, c := range w.children {
		if c.link != nil {
			continue
		}
		if err := rewriteNode(c, w, version); err != nil {
			return err
		}
	}
	return nil
}

// external reports whether w is a regular file whose content is in
// another file (the payload), not inline: it gets overlay xattrs.
func (w *wnode) external() bool { return w.typ() == TypeRegular && w.size > 0 && w.content == nil }

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
