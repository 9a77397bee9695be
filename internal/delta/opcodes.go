package delta

import (
	"fmt"

	"github.com/gostree/gostree/internal/errdefs"
)

// Opcode is one operation of a part's bytecode. Arguments follow as
// LEB128 varints.
type Opcode byte

// Opcodes, with their arguments.
const (
	// OpOpenSpliceAndClose creates the next object from the blob:
	// metadata takes (size, offset); content takes (mode index, xattr
	// index, size, offset), the bytes being a regular file's data or a
	// symlink's target without NUL.
	OpOpenSpliceAndClose Opcode = 'S'
	// OpOpen starts the next content object (a regular file): (mode
	// index, xattr index, size).
	OpOpen Opcode = 'o'
	// OpWrite appends (size, offset) bytes, from the read source when one
	// is set, else from the blob.
	OpWrite Opcode = 'w'
	// OpSetReadSource takes (offset): blob[offset:offset+32] is the
	// binary checksum of an existing content object to read from.
	OpSetReadSource Opcode = 'r'
	// OpUnsetReadSource drops the read source.
	OpUnsetReadSource Opcode = 'R'
	// OpClose finishes the object being written (and drops the read
	// source).
	OpClose Opcode = 'c'
	// OpBspatch writes bspatch(read source, blob[offset:offset+length]):
	// (offset, length); the output size is OpOpen's.
	OpBspatch Opcode = 'B'
)

// opOrder orders the opcodes as ostree static-delta show counts them.
var opOrder = [...]Opcode{OpOpenSpliceAndClose, OpOpen, OpWrite, OpSetReadSource, OpUnsetReadSource, OpClose, OpBspatch}

// AppendOp appends an opcode and its arguments as varints.
func AppendOp(b []byte, op Opcode, args ...uint64) []byte {
	b = append(b, byte(op))
	for _, a := range args {
		b = AppendVarint(b, a)
	}
	return b
}

// AppendVarint appends v as an unsigned LEB128 varint (_ostree_write_varuint64).
func AppendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readVarint decodes an unsigned LEB128 varint of at most 10 bytes;
// like libostree it lets bits past 64 fall off.
func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("Unexpected EOF reading varint: %w", errdefs.ErrCorrupt)
}
