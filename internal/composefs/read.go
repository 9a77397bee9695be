package composefs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gostree/gostree/internal/errdefs"
)

// Image is a composefs image read back by ReadImage.
type Image struct {
	Root *Node
	// Version is the composefs format version in the header (0 or 1).
	// Writing Root with Options{Version: v, MaxVersion: v} reproduces an
	// image libcomposefs wrote.
	Version int
	// HasACL is the header flag telling mounters not to pass noacl.
	HasACL bool
	// Inodes is the superblock's inode count (including the whiteout
	// stubs, which the tree leaves out as composefs-info does).
	Inodes uint64
}

// Limits of what ReadImage accepts.
const (
	// MaxImageSize is the largest image ReadImage reads (it holds the
	// image in memory; composefs images carry metadata only).
	MaxImageSize = 1 << 30
	// maxDepth bounds directory nesting.
	maxDepth = 8192
)

// ErrMalformed is wrapped by every error ReadImage returns for an image
// that is not a valid composefs image.
var ErrMalformed = fmt.Errorf("composefs: malformed image: %w", errdefs.ErrCorrupt)

// ReadImage parses and verifies a composefs image: headers, every inode,
// xattr and directory entry within bounds and not overlapping, names
// valid and sorted, "." and ".." right, no directory reachable twice. It
// returns the tree the way composefs-info sees it: overlay xattrs turned
// back into payloads, digests and whiteouts, and the 256 root whiteout
// stubs left out. Malformed images give an error naming the offset or
// path; ReadImage never panics and reads at most size bytes.
func ReadImage(r io.ReaderAt, size int64) (*Image, error) {
	if size < 0 || size > MaxImageSize {
		return nil, fmt.Errorf("image size %d not in 0..%d: %w", size, int64(MaxImageSize), ErrMalformed)
	}
	data := make([]byte, size)
	if n, err := r.ReadAt(data, 0); n != len(data) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read image: %w", err)
	}
	return parseImage(data)
}

// reader holds the state of one parse.
type reader struct {
	data      []byte // the file system: the image cut to its block count
	meta      uint64 // byte offset of nid 0
	xattrBase uint64 // byte offset of shared xattr index 0
	buildSec  int64
	buildNsec uint32
	used      []uint64 // bitmap of 32-byte slots owned by inodes and blocks
	seen      map[uint64]*Node
	dirs      map[uint64]bool
	stubs     map[uint64]bool
	inodes    uint64
}

func parseImage(data []byte) (*Image, error) {
	le := binary.LittleEndian
	if len(data) < superOffset+superSize {
		return nil, fmt.Errorf("image of %d bytes is too short: %w", len(data), ErrMalformed)
	}
	if m := le.Uint32(data[0:]); m != cfsMagic {
		return nil, fmt.Errorf("composefs magic %#x, want %#x: %w", m, uint32(cfsMagic), ErrMalformed)
	}
	if v := le.Uint32(data[4:]); v != cfsHeaderVer {
		return nil, fmt.Errorf("composefs header version %d: %w", v, errdefs.ErrNotSupported)
	}
	flags := le.Uint32(data[8:])
	if flags&^cfsFlagHasACL != 0 {
		return nil, fmt.Errorf("unknown composefs header flags %#x: %w", flags, ErrMalformed)
	}
	version := le.Uint32(data[12:])
	if version > maxVersion {
		return nil, fmt.Errorf("composefs format version %d: %w", version, errdefs.ErrNotSupported)
	}
	sb := data[superOffset:]
	if m := le.Uint32(sb[0:]); m != erofsMagic {
		return nil, fmt.Errorf("EROFS magic %#x at offset %d, want %#x: %w", m, superOffset, uint32(erofsMagic), ErrMalformed)
	}
	if sb[12] != blockBits {
		return nil, fmt.Errorf("EROFS block size 2^%d, want 2^%d: %w", sb[12], blockBits, ErrMalformed)
	}
	if sb[13] != 0 {
		return nil, fmt.Errorf("EROFS superblock extension slots %d: %w", sb[13], ErrMalformed)
	}
	if inc := le.Uint32(sb[80:]); inc&^0x4 != 0 { // only chunked files
		return nil, fmt.Errorf("EROFS incompatible features %#x: %w", inc, errdefs.ErrNotSupported)
	}
	blocks := uint64(le.Uint32(sb[36:]))
	if blocks*blockSize > uint64(len(data)) {
		return nil, fmt.Errorf("superblock claims %d blocks, image has %d bytes: %w", blocks, len(data), ErrMalformed)
	}
	rd := &reader{
		data:      data[:blocks*blockSize],
		meta:      uint64(le.Uint32(sb[40:])) * blockSize,
		xattrBase: uint64(le.Uint32(sb[44:])) * blockSize,
		buildSec:  int64(le.Uint64(sb[24:])),
		buildNsec: le.Uint32(sb[32:]),
		seen:      map[uint64]*Node{},
		dirs:      map[uint64]bool{},
		stubs:     map[uint64]bool{},
	}
	if rd.meta >= uint64(len(rd.data)) || rd.xattrBase > uint64(len(rd.data)) {
		return nil, fmt.Errorf("metadata or xattr area beyond the image: %w", ErrMalformed)
	}
	rd.used = make([]uint64, (len(rd.data)/slotSize+63)/64)
	if err := rd.claim(0, metaStart, "superblock"); err != nil {
		return nil, err
	}
	rootNid := uint64(le.Uint16(sb[14:]))
	root, err := rd.node(rootNid, rootNid, "/", 0)
	if err != nil {
		return nil, err
	}
	if root == nil || root.LinkTo != nil || root.Type() != TypeDir {
		return nil, fmt.Errorf("root inode %d is not a directory: %w", rootNid, ErrMalformed)
	}
	if inos := le.Uint64(sb[16:]); inos != rd.inodes {
		return nil, fmt.Errorf("superblock counts %d inodes, the tree has %d: %w", inos, rd.inodes, ErrMalformed)
	}
	return &Image{Root: root, Version: int(version), HasACL: flags&cfsFlagHasACL != 0, Inodes: rd.inodes}, nil
}

// claim marks [off, off+n) as owned, failing if any of it already is.
func (rd *reader) claim(off, n uint64, what string) error {
	if n == 0 {
		return nil
	}
	if off+n < off || off+n > uint64(len(rd.data)) {
		return fmt.Errorf("%s at offset %d (+%d) beyond the image: %w", what, off, n, ErrMalformed)
	}
	for s := off / slotSize; s <= (off+n-1)/slotSize; s++ {
		if rd.used[s/64]&(1<<(s%64)) != 0 {
			return fmt.Errorf("%s at offset %d overlaps other data: %w", what, off, ErrMalformed)
		}
		rd.used[s/64] |= 1 << (s % 64)
	}
	return nil
}

// bytes returns data[off:off+n] or an error naming what was wanted.
func (rd *reader) bytes(off, n uint64, what string) ([]byte, error) {
	if off+n < off || off+n > uint64(len(rd.data)) {
		return nil, fmt.Errorf("%s at offset %d (+%d) beyond the image: %w", what, off, n, ErrMalformed)
	}
	return rd.data[off : off+n], nil
}
