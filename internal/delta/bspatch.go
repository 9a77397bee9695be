package delta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/gostree/gostree/internal/errdefs"
)

// errPatch reports a bsdiff patch that does not describe a valid output.
var errPatch = fmt.Errorf("bsdiff patch failed: %w", errdefs.ErrCorrupt)

// bspatchReader produces the output of bspatch(old, patch) as a stream.
// The patch is mendsley/bsdiff's raw stream (no header, no compression),
// as ostree embeds it: blocks of three 8-byte sign-magnitude control
// integers (diff length, extra length, old seek), diff bytes added to the
// old data, then extra bytes copied. Old bytes outside the old data count
// as zero, as in mendsley's bspatch; every other inconsistency is an
// error, never a panic.
type bspatchReader struct {
	old     io.ReaderAt
	oldSize int64
	patch   []byte
	newSize int64

	newPos, oldPos int64
	diffLeft       int64 // bytes of the current diff string still to emit
	extraLeft      int64 // bytes of the current extra string still to emit
	seek           int64 // applied to oldPos after the extra string
	oldBuf         []byte
	err            error
}

// newBspatchReader returns a reader of the newSize bytes that patch
// rebuilds from old (oldSize bytes).
func newBspatchReader(old io.ReaderAt, oldSize int64, patch []byte, newSize int64) *bspatchReader {
	return &bspatchReader{old: old, oldSize: oldSize, patch: patch, newSize: newSize}
}

// Bspatch applies a raw bsdiff stream to old and returns the newSize
// bytes it describes.
func Bspatch(old, patch []byte, newSize int64) ([]byte, error) {
	// Every output byte consumes a patch byte (diff and extra bytes
	// both come from it), which bounds what to allocate.
	if newSize < 0 || newSize > int64(len(patch)) {
		return nil, errPatch
	}
	out := make([]byte, newSize)
	r := newBspatchReader(byteReaderAt(old), int64(len(old)), patch, newSize)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, err
	}
	return out, nil
}

type byteReaderAt []byte

func (b byteReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// offtin decodes mendsley's sign-magnitude little-endian integer.
func offtin(b []byte) int64 {
	v := int64(binary.LittleEndian.Uint64(b) &^ (1 << 63))
	if b[7]&0x80 != 0 {
		v = -v
	}
	return v
}

func (r *bspatchReader) take(n int64) ([]byte, error) {
	if n > int64(len(r.patch)) {
		return nil, errPatch
	}
	b := r.patch[:n]
	r.patch = r.patch[n:]
	return b, nil
}

// nextBlock reads a control block.
func (r *bspatchReader) nextBlock() error {
	ctrl, err := r.take(24)
	if err != nil {
		return err
	}
	diff, extra, seek := offtin(ctrl), offtin(ctrl[8:]), offtin(ctrl[16:])
	if diff < 0 || diff > math.MaxInt32 || extra < 0 || extra > math.MaxInt32 ||
		r.newPos+diff > r.newSize || r.newPos+diff+extra > r.newSize {
		return errPatch
	}
	r.diffLeft, r.extraLeft, r.seek = diff, extra, seek
	return nil
}

func (r *bspatchReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n := 0
	for n < len(p) && r.newPos < r.newSize {
		switch {
		case r.diffLeft > 0:
			k, err := r.readDiff(p[n:])
			n += k
			if err != nil {
				r.err = err
				return n, err
			}
		case r.extraLeft > 0:
			k := min(int64(len(p)-n), r.extraLeft)
			b, err := r.take(k)
			if err != nil {
				r.err = err
				return n, err
			}
			copy(p[n:], b)
			n += int(k)
			r.newPos += k
			r.extraLeft -= k
			if r.extraLeft == 0 {
				if err := r.applySeek(); err != nil {
					r.err = err
					return n, err
				}
			}
		default:
			if err := r.nextBlock(); err != nil {
				r.err = err
				return n, err
			}
			if r.diffLeft == 0 && r.extraLeft == 0 {
				if err := r.applySeek(); err != nil {
					r.err = err
					return n, err
				}
			}
		}
	}
	if n == 0 && r.newPos >= r.newSize {
		r.err = io.EOF
		return 0, io.EOF
	}
	return n, nil
}

func (r *bspatchReader) applySeek() error {
	pos := r.oldPos + r.seek
	if (r.seek > 0 && pos < r.oldPos) || (r.seek < 0 && pos > r.oldPos) {
		return errPatch
	}
	r.oldPos = pos
	return nil
}

// readDiff emits diff bytes: patch bytes plus the old bytes at oldPos.
func (r *bspatchReader) readDiff(p []byte) (int, error) {
	k := min(int64(len(p)), r.diffLeft, 64<<10)
	if r.oldPos > math.MaxInt64-k {
		return 0, errPatch
	}
	d, err := r.take(k)
	if err != nil {
		return 0, err
	}
	out := p[:k]
	copy(out, d)
	// Only the part of [oldPos, oldPos+k) inside the old data is added.
	lo, hi := max(r.oldPos, 0), min(r.oldPos+k, r.oldSize)
	if lo < hi {
		if int64(cap(r.oldBuf)) < hi-lo {
			r.oldBuf = make([]byte, hi-lo)
		}
		ob := r.oldBuf[:hi-lo]
		if m, err := r.old.ReadAt(ob, lo); int64(m) != hi-lo {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("bsdiff source: %w", err)
		}
		dst := out[lo-r.oldPos:]
		for i, c := range ob {
			dst[i] += c
		}
	}
	r.newPos += k
	r.oldPos += k
	r.diffLeft -= k
	if r.diffLeft == 0 && r.extraLeft == 0 {
		if err := r.applySeek(); err != nil {
			return int(k), err
		}
	}
	return int(k), nil
}
