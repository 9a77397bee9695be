package delta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// OpStats counts executed operations in the order ostree static-delta
// show prints them: open-splice-and-close, open, write, set-read-source,
// unset-read-source, close, bspatch.
type OpStats [len(opOrder)]int

// ErrArchiveTarget reports a part whose operations (open, write,
// set-read-source, bspatch) only a bare repository can execute; libostree
// applies deltas only to bare repositories.
var ErrArchiveTarget = errors.New("delta: this delta part can only be applied to a bare repository")

// ExecutePart runs a part's operations, creating objects (the part
// header's list, in order) in txn. Every object is written through the
// transaction, checked against its checksum, and published only when the
// transaction commits; objects already present are skipped.
func ExecutePart(ctx context.Context, txn *repo.Txn, objects []object.Name, p *Payload) error {
	e := &executor{ctx: ctx, txn: txn, objects: objects, p: p}
	// Objects whose data is all in the payload are written and hashed by
	// other goroutines while the operations go on: the payload is held
	// until the part is done anyway, so this costs no memory, and it
	// takes the writing off the one thread that decodes and interprets.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	e.async = &g
	err := e.run()
	if werr := g.Wait(); werr != nil {
		// A write failed first: the operations that followed it only
		// ran because it was not awaited.
		return werr
	}
	return err
}

// CountOps decodes a part's operations and counts them without writing
// anything, as ostree static-delta show does.
func CountOps(objects []object.Name, p *Payload) (OpStats, error) {
	e := &executor{statsOnly: true, objects: objects, p: p}
	err := e.run()
	return e.stats, err
}

// executor is the state of one part's execution
// (StaticDeltaExecutionState).
type executor struct {
	ctx       context.Context
	txn       *repo.Txn
	async     *errgroup.Group // writes payload-only objects when set
	statsOnly bool
	objects   []object.Name
	p         *Payload
	ops       []byte
	stats     OpStats

	next int // index of the next object to create

	// The content object being written by open/write/bspatch/close.
	cur     *object.Name
	header  *object.FileHeader
	size    uint64
	have    bool // cur already exists: its data is not written
	pieces  []io.Reader
	written uint64
	files   []*os.File // read sources the pieces refer to

	// The read source (set-read-source).
	src     *os.File
	srcSize int64
	srcName object.Checksum
}

func (e *executor) run() (err error) {
	defer e.cleanup()
	if len(e.objects) == 0 {
		return nil // libostree skips empty parts
	}
	e.ops = e.p.Ops
	for n := 0; len(e.ops) > 0; n++ {
		op := Opcode(e.ops[0])
		e.ops = e.ops[1:]
		if e.ctx != nil && n%256 == 0 {
			if err := e.ctx.Err(); err != nil {
				return err
			}
		}
		switch op {
		case OpOpenSpliceAndClose:
			err = e.openSpliceAndClose()
		case OpOpen:
			err = e.open()
		case OpWrite:
			err = e.write()
		case OpSetReadSource:
			err = e.setReadSource()
		case OpUnsetReadSource:
			e.unsetReadSource()
		case OpClose:
			err = e.close()
		case OpBspatch:
			err = e.bspatch()
		default:
			return fmt.Errorf("Unknown opcode %d at offset %d: %w", op, n, errdefs.ErrCorrupt)
		}
		if err != nil {
			return err
		}
		for i, o := range opOrder {
			if o == op {
				e.stats[i]++
			}
		}
	}
	if e.cur != nil {
		return fmt.Errorf("delta part ends inside object %s: %w", e.cur.Checksum, errdefs.ErrCorrupt)
	}
	if !e.statsOnly && e.next != len(e.objects) {
		return fmt.Errorf("delta part created %d of its %d objects: %w", e.next, len(e.objects), errdefs.ErrCorrupt)
	}
	return nil
}

func (e *executor) cleanup() {
	e.unsetReadSource()
	e.dropPieces()
}

func (e *executor) dropPieces() {
	for _, f := range e.files {
		f.Close()
	}
	e.files, e.pieces, e.written = nil, nil, 0
}

func (e *executor) varint(op string) (uint64, error) {
	v, n, err := readVarint(e.ops)
	if err != nil {
		return 0, fmt.Errorf("opcode %s: %w", op, err)
	}
	e.ops = e.ops[n:]
	return v, nil
}

func (e *executor) varints(op string, out ...*uint64) error {
	for _, p := range out {
		v, err := e.varint(op)
		if err != nil {
			return err
		}
		*p = v
	}
	return nil
}

// blob returns blob[offset:offset+length] after validate_ofs's check.
func (e *executor) blob(op string, offset, length uint64) ([]byte, error) {
	if offset+length < offset || offset+length > uint64(len(e.p.Blob)) {
		return nil, fmt.Errorf("opcode %s: Invalid offset/length %d/%d: %w", op, offset, length, errdefs.ErrCorrupt)
	}
	return e.p.Blob[offset : offset+length], nil
}

// target takes the next object of the part's list.
func (e *executor) target(op string) (object.Name, error) {
	if e.next >= len(e.objects) {
		return object.Name{}, fmt.Errorf("opcode %s: no object left in the part's object list: %w", op, errdefs.ErrCorrupt)
	}
	return e.objects[e.next], nil
}

// contentHeader reads the mode and xattr indexes of a content object.
func (e *executor) contentHeader(op string) (*object.FileHeader, error) {
	var mi, xi uint64
	if err := e.varints(op, &mi, &xi); err != nil {
		return nil, err
	}
	if mi >= uint64(len(e.p.Modes)) || xi >= uint64(len(e.p.Xattrs)) {
		return nil, fmt.Errorf("opcode %s: mode index %d or xattr index %d out of range: %w", op, mi, xi, errdefs.ErrCorrupt)
	}
	m := e.p.Modes[mi]
	return &object.FileHeader{UID: m.UID, GID: m.GID, Mode: m.Mode, Xattrs: e.p.Xattrs[xi]}, nil
}

func (e *executor) has(n object.Name) (bool, error) {
	return e.txn.HasObject(e.ctx, n.Checksum, n.Type)
}

func (e *executor) openSpliceAndClose() error {
	const op = "open-splice-and-close"
	t, err := e.target(op)
	if err != nil {
		return err
	}
	if t.Type.IsMeta() {
		var length, offset uint64
		if err := e.varints(op, &length, &offset); err != nil {
			return err
		}
		data, err := e.blob(op, offset, length)
		if err != nil {
			return err
		}
		if !e.statsOnly {
			if err := e.txn.WriteMetadataAs(e.ctx, t.Checksum, t.Type, data); err != nil {
				return fmt.Errorf("opcode %s: %w", op, err)
			}
		}
		return e.finish()
	}
	h, err := e.contentHeader(op)
	if err != nil {
		return err
	}
	var size, offset uint64
	if err := e.varints(op, &size, &offset); err != nil {
		return err
	}
	data, err := e.blob(op, offset, size)
	if err != nil {
		return err
	}
	if e.statsOnly {
		return e.finish()
	}
	if have, err := e.has(t); err != nil || have {
		if err != nil {
			return err
		}
		return e.finish()
	}
	var payload io.Reader
	switch h.Mode & object.ModeFmt {
	case object.ModeLink:
		// g_strndup: the target stops at a NUL.
		if i := bytes.IndexByte(data, 0); i >= 0 {
			data = data[:i]
		}
		h.Target, size = string(data), 0
	case object.ModeReg:
		payload = bytes.NewReader(data)
	default:
		return fmt.Errorf("opcode %s: object %s has mode 0%o: %w", op, t.Checksum, h.Mode, errdefs.ErrCorrupt)
	}
	if err := e.writeFile(op, h, size, payload, t.Checksum, true); err != nil {
		return err
	}
	return e.finish()
}

// writeFile writes content object c, in another goroutine when the
// executor has them and mayDefer is set: the payload must not read from
// the read source, which the next operations close or move.
func (e *executor) writeFile(op string, h *object.FileHeader, size uint64, payload io.Reader, c object.Checksum, mayDefer bool) error {
	write := func() error {
		if _, err := e.txn.WriteFile(e.ctx, h, int64(size), payload, &c); err != nil {
			if errors.Is(err, errPatch) {
				return fmt.Errorf("opcode bspatch: %w", err)
			}
			return fmt.Errorf("opcode %s: %w", op, err)
		}
		return nil
	}
	if e.async == nil || !mayDefer {
		return write()
	}
	e.async.Go(write)
	return nil
}

// requireBare refuses the streaming operations outside bare
// repositories, where libostree asserts.
func (e *executor) requireBare(op string) error {
	if e.statsOnly || !e.txn.Repo().Mode().IsArchive() {
		return nil
	}
	return fmt.Errorf("opcode %s: %w", op, ErrArchiveTarget)
}

func (e *executor) open() error {
	const op = "open"
	if err := e.requireBare(op); err != nil {
		return err
	}
	if e.cur != nil {
		return fmt.Errorf("opcode %s: object %s is still open: %w", op, e.cur.Checksum, errdefs.ErrCorrupt)
	}
	t, err := e.target(op)
	if err != nil {
		return err
	}
	if t.Type != object.TypeFile {
		return fmt.Errorf("opcode %s: object %s is a %s: %w", op, t.Checksum, t.Type, errdefs.ErrCorrupt)
	}
	h, err := e.contentHeader(op)
	if err != nil {
		return err
	}
	size, err := e.varint(op)
	if err != nil {
		return err
	}
	e.cur, e.header, e.size = &t, h, size
	if e.statsOnly {
		return nil
	}
	if h.Mode&object.ModeFmt != object.ModeReg {
		return fmt.Errorf("opcode %s: object %s has mode 0%o: %w", op, t.Checksum, h.Mode, errdefs.ErrCorrupt)
	}
	e.have, err = e.has(t)
	return err
}

// add queues n more bytes of the open object.
func (e *executor) add(op string, r io.Reader, n uint64) error {
	if e.written+n < e.written || e.written+n > e.size {
		return fmt.Errorf("opcode %s: writes past the %d bytes of object %s: %w", op, e.size, e.cur.Checksum, errdefs.ErrCorrupt)
	}
	e.pieces = append(e.pieces, r)
	e.written += n
	return nil
}

func (e *executor) write() error {
	const op = "write"
	var size, offset uint64
	if err := e.varints(op, &size, &offset); err != nil {
		return err
	}
	if e.statsOnly {
		return nil
	}
	if e.cur == nil {
		return fmt.Errorf("opcode %s: no object is open: %w", op, errdefs.ErrCorrupt)
	}
	if e.have {
		return nil
	}
	if e.src != nil {
		if offset+size < offset || offset+size > uint64(e.srcSize) {
			return fmt.Errorf("opcode %s: Unexpected EOF reading object %s: %w", op, e.srcName, errdefs.ErrCorrupt)
		}
		return e.add(op, io.NewSectionReader(e.src, int64(offset), int64(size)), size)
	}
	data, err := e.blob(op, offset, size)
	if err != nil {
		return err
	}
	return e.add(op, bytes.NewReader(data), size)
}

func (e *executor) setReadSource() error {
	const op = "set-read-source"
	if err := e.requireBare(op); err != nil {
		return err
	}
	e.unsetReadSource()
	offset, err := e.varint(op)
	if err != nil {
		return err
	}
	b, err := e.blob(op, offset, 32)
	if err != nil {
		return err
	}
	if e.statsOnly {
		return nil
	}
	copy(e.srcName[:], b)
	f, size, err := e.openSource(e.srcName)
	if err != nil {
		return fmt.Errorf("opcode %s: %w", op, err)
	}
	e.src, e.srcSize = f, size
	return nil
}

// openSource opens the data of a stored regular file for reading at
// offsets: staged in this transaction, or stored here or in a parent.
func (e *executor) openSource(c object.Checksum) (*os.File, int64, error) {
	p := e.txn.StagedPath(c, object.TypeFile)
	if p == "" {
		x, err := e.txn.Repo().FindObject(c, object.TypeFile)
		if err != nil {
			return nil, 0, err
		}
		if x == nil {
			return nil, 0, fmt.Errorf("Couldn't find file object '%s': %w", c, errdefs.ErrNotFound)
		}
		if x.Mode().IsArchive() {
			return e.unpackSource(x, c)
		}
		p = x.ObjectPath(c, object.TypeFile)
	} else if e.txn.Repo().Mode().IsArchive() {
		return nil, 0, fmt.Errorf("read source %s: %w", c, ErrArchiveTarget)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("Opening content object %s: %w", c, err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("Opening content object %s: not a regular file: %w", c, errdefs.ErrInvalid)
	}
	return f, st.Size(), nil
}

// unpackSource copies a content object of an archive parent repository
// into an unlinked temporary file.
func (e *executor) unpackSource(x *repo.Repo, c object.Checksum) (*os.File, int64, error) {
	h, rc, _, err := x.LoadFile(e.ctx, c)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	if h.IsSymlink() {
		return nil, 0, fmt.Errorf("read source %s is a symlink: %w", c, errdefs.ErrInvalid)
	}
	f, err := os.CreateTemp(filepath.Join(e.txn.Repo().Path(), "tmp"), "deltasrc-")
	if err != nil {
		return nil, 0, err
	}
	os.Remove(f.Name())
	n, err := io.Copy(f, rc)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}

func (e *executor) unsetReadSource() {
	if e.src == nil {
		return
	}
	if e.cur != nil && len(e.pieces) > 0 {
		// Pieces of the open object still read from it.
		e.files = append(e.files, e.src)
	} else {
		e.src.Close()
	}
	e.src = nil
}

func (e *executor) bspatch() error {
	const op = "bspatch"
	if err := e.requireBare(op); err != nil {
		return err
	}
	var offset, length uint64
	if err := e.varints(op, &offset, &length); err != nil {
		return err
	}
	if e.statsOnly {
		return nil
	}
	if e.cur == nil || e.src == nil {
		return fmt.Errorf("opcode %s: needs an open object and a read source: %w", op, errdefs.ErrCorrupt)
	}
	patch, err := e.blob(op, offset, length)
	if err != nil {
		return err
	}
	if e.have {
		return nil
	}
	return e.add(op, newBspatchReader(e.src, e.srcSize, patch, int64(e.size)), e.size)
}

func (e *executor) close() error {
	const op = "close"
	if e.cur == nil {
		return fmt.Errorf("opcode %s: no object is open: %w", op, errdefs.ErrCorrupt)
	}
	if !e.statsOnly && !e.have {
		if e.written != e.size {
			return fmt.Errorf("opcode %s: object %s got %d of its %d bytes: %w", op, e.cur.Checksum, e.written, e.size, errdefs.ErrCorrupt)
		}
		fromPayload := len(e.files) == 0 && e.src == nil
		if err := e.writeFile(op, e.header, e.size, io.MultiReader(e.pieces...), e.cur.Checksum, fromPayload); err != nil {
			return err
		}
	}
	return e.finish()
}

// finish is dispatch_close: the object is done, the read source dropped
// and the next object of the list comes up.
func (e *executor) finish() error {
	e.cur, e.header, e.have = nil, nil, false
	e.unsetReadSource()
	e.dropPieces()
	e.next++
	return nil
}
