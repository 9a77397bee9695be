package composefs

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
)

// wnode is the writer's private copy of a node: the caller's tree is
// never modified, and the layout pass records its results here.
type wnode struct {
	name       string
	path       string // pathname's answer when set (a node outside a tree)
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
	xbuf       [2]wxattr // xattrs' first storage: an external file has two
	budget     int       // libcomposefs's running xattr size accounting
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
			return nil, fmt.Errorf("%s: hard link loop: %w", w.pathname(), errdefs.ErrInvalid)
		}
	}
	return t, nil
}

// setXattr sets an xattr the way lcfs_node_set_xattr does, including its
// per-node size budget.
func (w *wnode) setXattr(key string, value []byte) error {
	if err := checkXattr(key, value); err != nil {
		return fmt.Errorf("%s: %w", w.pathname(), err)
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
		return fmt.Errorf("%s: xattrs larger than %d bytes: %w", w.pathname(), maxXattrBudget, errdefs.ErrInvalid)
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

// cloneTree copies and validates the caller's tree. The copies are
// allocated together, and a directory's children are sorted only when
// the caller's are not already.
func cloneTree(root *Node) (*wnode, error) {
	if root == nil || root.LinkTo != nil || root.Type() != TypeDir {
		return nil, fmt.Errorf("root must be a directory: %w", errdefs.ErrInvalid)
	}
	count := countNodes(root, 1<<20)
	pool := make([]wnode, 0, count)
	clones := make(map[*Node]*wnode, count)
	var links []*wnode
	var clone func(n, parentNode *Node, parent *wnode) (*wnode, error)
	clone = func(n, parentNode *Node, parent *wnode) (*wnode, error) {
		var w *wnode
		if len(pool) < cap(pool) {
			pool = append(pool, wnode{})
			w = &pool[len(pool)-1]
		} else {
			w = new(wnode) // beyond countNodes's limit
		}
		w.name, w.parent = n.Name, parent
		if clones[n] != nil {
			return nil, fmt.Errorf("%s: node appears twice in the tree (use LinkTo for hard links): %w", w.pathname(), errdefs.ErrInvalid)
		}
		clones[n] = w
		if n.LinkTo != nil {
			if n.Type() == TypeDir || len(n.Children) > 0 {
				return nil, fmt.Errorf("%s: directories can't be hard links: %w", w.pathname(), errdefs.ErrInvalid)
			}
			w.mode, w.linkSource = n.Mode, n.LinkTo
			links = append(links, w)
			return w, nil
		}
		if err := copyNode(w, n); err != nil {
			return nil, err
		}
		if len(n.Children) > 0 && n.Type() != TypeDir {
			return nil, fmt.Errorf("%s: only directories have children: %w", w.pathname(), errdefs.ErrInvalid)
		}
		kids := n.Children
		if !slices.IsSortedFunc(kids, byName) {
			kids = slices.Clone(kids)
			slices.SortStableFunc(kids, byName)
		}
		w.children = make([]*wnode, 0, len(kids))
		for i, c := range kids {
			if err := checkName(c.Name); err != nil {
				return nil, fmt.Errorf("%s: %w", childPath(w, c.Name), err)
			}
			if i > 0 && kids[i-1].Name == c.Name {
				return nil, fmt.Errorf("%s: duplicate name: %w", childPath(w, c.Name), errdefs.ErrInvalid)
			}
			cw, err := clone(c, n, w)
			if err != nil {
				return nil, err
			}
			w.children = append(w.children, cw)
		}
		return w, nil
	}
	w, err := clone(root, nil, nil)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		t := clones[l.linkSource]
		if t == nil {
			return nil, fmt.Errorf("%s: hard link to a node outside the tree: %w", l.pathname(), errdefs.ErrInvalid)
		}
		if t == l {
			return nil, fmt.Errorf("%s: hard link to itself: %w", l.pathname(), errdefs.ErrInvalid)
		}
		l.link = t
	}
	for _, l := range links {
		t, err := l.target()
		if err != nil {
			return nil, err
		}
		if t.typ() == TypeDir {
			return nil, fmt.Errorf("%s: hard link to directory %s: %w", l.pathname(), t.pathname(), errdefs.ErrInvalid)
		}
	}
	return w, nil
}

func byName(a, b *Node) int { return strings.Compare(a.Name, b.Name) }

// countNodes counts the nodes of the tree, hard links included and a
// node listed twice twice, up to limit: the count only sizes cloneTree's
// allocations, and a tree with a cycle (which cloneTree refuses) is not
// walked forever.
func countNodes(root *Node, limit int) int {
	n := 0
	stack := []*Node{root}
	for len(stack) > 0 && n < limit {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		if x.LinkTo == nil {
			stack = append(stack, x.Children...)
		}
	}
	return n
}

// pathname is w's path, for messages; "." and ".." are named by their
// directory. Computed when needed: most nodes never need one.
func (w *wnode) pathname() string {
	switch {
	case w.path != "":
		return w.path
	case w.parent == nil:
		return "/"
	case w.name == "." || w.name == "..":
		return w.parent.pathname()
	}
	return childPath(w.parent, w.name)
}

// childPath is the path of name in directory w.
func childPath(w *wnode, name string) string {
	p := w.pathname()
	if p == "/" {
		return "/" + name
	}
	return p + "/" + name
}

// copyNode copies n's attributes into w, checking what libcomposefs's
// setters would refuse.
func copyNode(w *wnode, n *Node) error {
	w.mode, w.nlink, w.uid, w.gid, w.rdev = n.Mode, n.Nlink, n.UID, n.GID, n.Rdev
	w.size, w.mtime, w.nsec = n.Size, n.MtimeSec, n.MtimeNsec
	w.payload, w.digest = n.Payload, n.Digest
	if len(n.Payload) > MaxPayloadLen {
		return fmt.Errorf("%s: payload longer than %d bytes: %w", w.pathname(), MaxPayloadLen, errdefs.ErrInvalid)
	}
	if strings.IndexByte(n.Payload, 0) >= 0 {
		return fmt.Errorf("%s: payload contains NUL: %w", w.pathname(), errdefs.ErrInvalid)
	}
	if n.Type() == TypeSymlink {
		if n.Payload == "" {
			return fmt.Errorf("%s: symlink without target: %w", w.pathname(), errdefs.ErrInvalid)
		}
		w.size = uint64(len(n.Payload))
	}
	if len(n.Content) > 0 {
		if len(n.Content) > MaxInlineContent {
			return fmt.Errorf("%s: inline content of %d bytes exceeds %d: %w", w.pathname(), len(n.Content), MaxInlineContent, errdefs.ErrInvalid)
		}
		if uint64(len(n.Content)) != n.Size && n.Type() != TypeSymlink {
			return fmt.Errorf("%s: inline content of %d bytes but size %d: %w", w.pathname(), len(n.Content), n.Size, errdefs.ErrInvalid)
		}
		w.content = n.Content
	}
	if len(n.Xattrs) == 0 && !w.external() {
		return nil
	}
	// Room for the overlay xattrs rewriteNode adds to external files.
	w.xattrs = w.xbuf[:0]
	if k := len(n.Xattrs) + 2; k > len(w.xbuf) {
		w.xattrs = make([]wxattr, 0, k)
	}
	for i, x := range n.Xattrs {
		for _, y := range n.Xattrs[:i] {
			if y.Key == x.Key {
				return fmt.Errorf("%s: xattr %q set twice: %w", w.pathname(), x.Key, errdefs.ErrInvalid)
			}
		}
		if err := w.setXattr(x.Key, x.Value); err != nil {
			return err
		}
	}
	return nil
}
