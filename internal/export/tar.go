package export

import (
	"fmt"
	"io"
)

// The GNU tar header layout, as libarchive's gnutar writer fills it.
const (
	blockSize      = 512
	recordSize     = 10240 // libarchive's default bytes per block
	nameSize       = 100
	linknameSize   = 100
	offMode        = 100
	offUID         = 108
	offGID         = 116
	offSize        = 124
	offMtime       = 136
	offChecksum    = 148
	offTypeflag    = 156
	offLinkname    = 157
	offMagic       = 257
	offUname       = 265
	offGname       = 297
	longLinkName   = "././@LongLink"
	typeReg        = '0'
	typeHardlink   = '1'
	typeSymlink    = '2'
	typeDir        = '5'
	typeLongName   = 'L'
	typeLongTarget = 'K'
)

// header is one tar entry.
type header struct {
	name     string
	linkname string
	typeflag byte
	mode     uint32 // permission bits; the type is in typeflag
	uid, gid uint64
	size     int64
	mtime    int64
	uname    string
	gname    string
}

// tarWriter writes a GNU tar stream byte-identical to libarchive's.
type tarWriter struct {
	w       io.Writer
	written int64
	// remaining is the data still owed to the last header written;
	// close pads it with zeros, as libarchive does.
	remaining int64
	block     [blockSize]byte
	zeros     [blockSize]byte
}

func (t *tarWriter) write(p []byte) error {
	n, err := t.w.Write(p)
	t.written += int64(n)
	return err
}

// pad writes zeros up to the next multiple of 512.
func (t *tarWriter) pad(n int64) error {
	if r := n % blockSize; r != 0 {
		return t.write(t.zeros[:blockSize-r])
	}
	return nil
}

// writeHeader writes the GNU long-name records a header needs, then the
// header itself.
func (t *tarWriter) writeHeader(h *header) error {
	if len(h.linkname) > linknameSize {
		if err := t.writeLong(typeLongTarget, h.linkname, h.linkname); err != nil {
			return err
		}
	}
	if len(h.name) > nameSize {
		if err := t.writeLong(typeLongName, h.name, h.linkname); err != nil {
			return err
		}
	}
	t.format(h)
	return t.write(t.block[:])
}

// writeLong writes a ././@LongLink record carrying s. libarchive fills
// the record's own link name from the entry it precedes.
func (t *tarWriter) writeLong(typeflag byte, s, linkname string) error {
	data := s + "\x00"
	t.format(&header{name: longLinkName, linkname: linkname, typeflag: typeflag, size: int64(len(data)), uname: "root", gname: "wheel"})
	if err := t.write(t.block[:]); err != nil {
		return err
	}
	if err := t.write([]byte(data)); err != nil {
		return err
	}
	return t.pad(int64(len(data)))
}

// format fills t.block from h as archive_format_gnutar_header does.
func (t *tarWriter) format(h *header) {
	b := t.block[:]
	clear(b)
	copy(b[0:nameSize], h.name)
	copy(b[offLinkname:offLinkname+linknameSize], h.linkname)
	copy(b[offUname:offUname+32], h.uname)
	copy(b[offGname:offGname+32], h.gname)
	formatOctal(uint64(h.mode&0o7777), b[offMode:offMode+7])
	formatNumber(h.uid, b[offUID:offUID+7], b[offUID:offUID+8])
	formatNumber(h.gid, b[offGID:offGID+7], b[offGID:offGID+8])
	formatNumber(uint64(h.size), b[offSize:offSize+11], b[offSize:offSize+12])
	formatOctal(uint64(max(h.mtime, 0)), b[offMtime:offMtime+11])
	copy(b[offMagic:], "ustar  \x00")
	b[offTypeflag] = h.typeflag
	copy(b[offChecksum:offChecksum+8], "        ")
	var sum uint64
	for _, c := range b {
		sum += uint64(c)
	}
	formatOctal(sum, b[offChecksum:offChecksum+6])
	b[offChecksum+6] = 0
}

// formatOctal writes v as zero-padded octal filling dst, or all sevens
// when it does not fit.
func formatOctal(v uint64, dst []byte) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v&7)
		v >>= 3
	}
	if v != 0 {
		for i := range dst {
			dst[i] = '7'
		}
	}
}

// formatNumber uses octal when v fits in the field, else GNU base-256
// over the field's full width.
func formatNumber(v uint64, octal, full []byte) {
	if v < 1<<(3*uint(len(octal))) {
		formatOctal(v, octal)
		return
	}
	for i := len(full) - 1; i >= 0; i-- {
		full[i] = byte(v)
		v >>= 8
	}
	full[0] |= 0x80
}

// close finishes the last entry, writes the two zero blocks that end
// the archive, then pads the stream to a whole 10240-byte record when
// padRecord is set.
func (t *tarWriter) close(padRecord bool) error {
	if t.remaining > 0 {
		pad := t.remaining
		for t.remaining > 0 {
			n := min(t.remaining, blockSize)
			if err := t.write(t.zeros[:n]); err != nil {
				return err
			}
			t.remaining -= n
		}
		if err := t.pad(pad); err != nil {
			return err
		}
	}
	if err := t.write(t.zeros[:]); err != nil {
		return err
	}
	if err := t.write(t.zeros[:]); err != nil {
		return err
	}
	if !padRecord {
		return nil
	}
	for t.written%recordSize != 0 {
		n := min(recordSize-t.written%recordSize, blockSize)
		if err := t.write(t.zeros[:n]); err != nil {
			return err
		}
	}
	return nil
}

// copyData writes exactly size bytes of an entry's data and pads it.
func (t *tarWriter) copyData(r io.Reader, size int64, name string) error {
	t.remaining = size
	n, err := io.Copy(writerFunc(func(p []byte) error {
		err := t.write(p)
		t.remaining -= int64(len(p))
		return err
	}), io.LimitReader(r, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s: content is %d bytes, expected %d", name, n, size)
	}
	return t.pad(size)
}

type writerFunc func([]byte) error

func (f writerFunc) Write(p []byte) (int, error) {
	if err := f(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
