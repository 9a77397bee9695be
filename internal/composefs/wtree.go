package composefs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
)

// wnode is the writer's private copy of a node: the caller's tree is
// never modified, and the layout pass records its results here.
type wnode struct {
	name       string
	path       string // for error messages
	mode       uint32
	nlink      uint32
	uid, gid   uint32
	rdev       uint32
	size       uint64
	mtime      int64
	nsec       uint32
	payload    string
	content    []byte
	digest     *[32]byte
	xattrs     []wxattr
	budget     int // libcomposefs's running xattr size accounting
	link       *wnode
	linkSource *Node // unresolved LinkTo while cloning
	children   []*wnode
	parent     *wnode

	// Set by the layout pass.
	ino     uint32
	compact bool
	ipad    uint64
	xsize   int
	nShared int
	nblocks uint64
	tail    uint64
	nid     uint64
}

type wxattr struct {
	key    string
	value  []byte
	shared int64 // offset in the shared xattr area, or -1
}

func (w *wnode) typ() uint32 { return w.mode & TypeMask }

// target follows hard links to the node that is serialized.
func (w *wnode) target() (*wnode, error) {
	t := w
	for i := 0; t.link != nil; i++ {
		t = t.link
		if t == w || i > 1<<20 {
			return nil, fmt.Errorf("%s: hard link loop: %w", w.path, errdefs.ErrInvalid)
		}
	}
	return t, nil
}

// setXattr sets an xattr the way lcfs_node_set_xattr does, including its
// per-node size budget.
func (w *wnode) setXattr(key string, value []byte) error {
	if err := checkXattr(key, value); err != nil {
		return fmt.Errorf("%s: %w", w.path, err)
	}
	for i, x := range w.xattrs {
		if x.key == key {
			last := len(w.xattrs) - 1
			w.xattrs[i] = w.xattrs[last]
			w.xattrs = w.xattrs[:last]
			if last > 0 {
				w.budget -= 7 + len(key) + len(x.value)
			} else {
				w.budget = 0
			}
			break
		}
	}
	cost := 7 + len(key) + len(value)
	if len(w.xattrs) == 0 {
		cost += xattrHdrSize
	}
	if w.budget+cost > maxXattrBudget {
		return fmt.Errorf("%s: xattrs larger than %d bytes: %w", w.path, maxXattrBudget, errdefs.ErrInvalid)
	}
	w.xattrs = append(w.xattrs, wxattr{key: key, value: value, shared: -1})
	w.budget += cost
	return nil
}

// addChild inserts c sorted by name; names are unique here.
func (w *wnode) addChild(c *wnode) {
	i := sort.Search(len(w.children), func(i int) bool { return w.children[i].name >= c.name })
	w.children = append(w.children, nil)
	copy(w.children[i+1:], w.children[i:])
	w.children[i] = c
	c.parent = w
}

func (w *wnode) lookup(name string) *wnode {
	i := sort.Search(len(w.children), func(i int) bool { return w.children[i].name >= name })
	if i < len(w.children) && w.children[i].name == name {
		return w.children[i]
	}
	return nil
}

// cloneTree copies and validates the caller's tree.
func cloneTree(root *Node) (*wnode, error) {
	if root == nil || root.LinkTo != nil || root.Type() != TypeDir {
		return nil, fmt.Errorf("root must be a directory: %w", errdefs.ErrInvalid)
	}
	clones := map[*Node]*wnode{}
	var links []*wnode
	var clone func(n *Node, path string) (*wnode, error)
	clone = func(n *Node, path string) (*wnode, error) {
		if clones[n] != nil {
			return nil, fmt.Errorf("%s: node appears twice in the tree (use LinkTo for hard links): %w", path, errdefs.ErrInvalid)
		}
		w := &wnode{name: n.Name, path: path}
		clones[n] = w
		if n.LinkTo != nil {
			if n.Type() == TypeDir || len(n.Children) > 0 {
				return nil, fmt.Errorf("%s: directories can't be hard links: %w", path, errdefs.ErrInvalid)
			}
			w.mode, w.linkSource = n.Mode, n.LinkTo
			links = append(links, w)
			return w, nil
		}
		if err := copyNode(w, n); err != nil {
			return nil, err
		}
		if len(n.Children) > 0 && n.Type() != TypeDir {
			return nil, fmt.Errorf("%s: only directories have children: %w", path, errdefs.ErrInvalid)
		}
		kids := append([]*Node(nil), n.Children...)
		sort.SliceStable(kids, func(i, j int) bool { return kids[i].Name < kids[j].Name })
		for i, c := range kids {
			cp := strings.TrimSuffix(path, "/") + "/" + c.Name
			if err := checkName(c.Name); err != nil {
				return nil, fmt.Errorf("%s: %w", cp, err)
			}
			if i > 0 && kids[i-1].Name == c.Name {
				return nil, fmt.Errorf("%s: duplicate name: %w", cp, errdefs.ErrInvalid)
			}
			cw, err := clone(c, cp)
			if err != nil {
				return nil, err
			}
			cw.parent = w
			w.children = append(w.children, cw)
		}
		return w, nil
	}
	w, err := clone(root, "/")
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		t := clones[l.linkSource]
		if t == nil {
			return nil, fmt.Errorf("%s: hard link to a node outside the tree: %w", l.path, errdefs.ErrInvalid)
		}
		if t == l {
			return nil, fmt.Errorf("%s: hard link to itself: %w", l.path, errdefs.ErrInvalid)
		}
		l.link = t
	}
	for _, l := range links {
		t, err := l.target()
		if err != nil {
			return nil, err
		}
		if t.typ() == TypeDir {
			return nil, fmt.Errorf("%s: hard link to directory %s: %w", l.path, t.path, errdefs.ErrInvalid)
		}
	}
	return w, nil
}

// copyNode copies n's attributes into w, checking what libcomposefs's
// setters would refuse.
func copyNode(w *wnode, n *Node) error {
	w.mode, w.nlink, w.uid, w.gid, w.rdev = n.Mode, n.Nlink, n.UID, n.GID, n.Rdev
	w.size, w.mtime, w.nsec = n.Size, n.MtimeSec, n.MtimeNsec
	w.payload, w.digest = n.Payload, n.Digest
	if len(n.Payload) > MaxPayloadLen {
		return fmt.Errorf("%s: payload longer than %d bytes: %w", w.path, MaxPayloadLen, errdefs.ErrInvalid)
	}
	if strings.IndexByte(n.Payload, 0) >= 0 {
		return fmt.Errorf("%s: payload contains NUL: %w", w.path, errdefs.ErrInvalid)
	}
	if n.Type() == TypeSymlink {
		if n.Payload == "" {
			return fmt.Errorf("%s: symlink without target: %w", w.path, errdefs.ErrInvalid)
		}
		w.size = uint64(len(n.Payload))
	}
	if len(n.Content) > 0 {
		if len(n.Content) > MaxInlineContent {
			return fmt.Errorf("%s: inline content of %d bytes exceeds %d: %w", w.path, len(n.Content), MaxInlineContent, errdefs.ErrInvalid)
		}
		if uint64(len(n.Content)) != n.Size && n.Type() != TypeSymlink {
			return fmt.Errorf("%s: inline content of %d bytes but size %d: %w", w.path, len(n.Content), n.Size, errdefs.ErrInvalid)
		}
		w.content = n.Content
	}
	seen := make(map[string]bool, len(n.Xattrs))
	for _, x := range n.Xattrs {
		if seen[x.Key] {
			return fmt.Errorf("%s: xattr %q set twice: %w", w.path, x.Key, errdefs.ErrInvalid)
		}
		seen[x.Key] = true
		if err := w.setXattr(x.Key, x.Value); err != nil {
			return err
		}
	}
	return nil
}
