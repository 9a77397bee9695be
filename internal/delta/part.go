package delta

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"
)

// MaxXZDict is the largest xz dictionary a part may ask for; libostree
// decodes parts with a 100 MiB memory limit.
const MaxXZDict = 100 << 20

// OpenOptions bound and check what opening a part reads.
type OpenOptions struct {
	// Expected is the sha256 the part file must have; nil skips the
	// check (inline parts, which the superblock's own digest covers).
	Expected *object.Checksum
	// MaxFileSize caps the part file's length; 0 means no cap.
	MaxFileSize int64
	// MaxPayload caps the decompressed payload, against decompression
	// bombs; 0 means PayloadLimit of an empty part.
	MaxPayload int64
	// TmpDir, when set, receives the decompressed payload as an unlinked
	// file that is then mapped, so that large parts are not held in the
	// Go heap; otherwise the payload is read into memory.
	TmpDir string
}

// PayloadLimit is a generous cap on the decompressed payload of a part
// that creates usize bytes of objects: the data itself plus room for
// bsdiff control blocks, tables and operations.
func PayloadLimit(usize uint64) int64 {
	const slack = 64 << 20
	if usize > (math.MaxInt64-slack)/32 {
		return math.MaxInt64
	}
	return int64(usize)*32 + slack
}

// Part is an opened part: its payload, backed by memory or a mapping
// that Close releases.
type Part struct {
	Payload *Payload
	mapped  []byte
}

// Close releases the payload's mapping. The payload must not be used
// afterwards.
func (p *Part) Close() error {
	if p.mapped == nil {
		return nil
	}
	err := unix.Munmap(p.mapped)
	p.mapped, p.Payload = nil, nil
	return err
}

// OpenPart reads a part file (compression byte, then the payload raw or
// as an xz stream), checks its checksum and size, and parses the
// payload.
func OpenPart(r io.Reader, opts OpenOptions) (*Part, error) {
	in := &partInput{r: r, limit: opts.MaxFileSize}
	if opts.Expected != nil {
		in.h = sha256.New()
	}
	maxPayload := opts.MaxPayload
	if maxPayload <= 0 {
		maxPayload = PayloadLimit(0)
	}
	var comp [1]byte
	if _, err := io.ReadFull(in, comp[:]); err != nil {
		return nil, fmt.Errorf("Reading initial compression flag byte: %w", eofCorrupt(err))
	}
	var src io.Reader
	var br *bufio.Reader
	switch comp[0] {
	case CompressionNone:
		src = in
	case CompressionXZ:
		br = bufio.NewReaderSize(in, 64<<10)
		xin, err := xzInput(br, maxPayload)
		if err != nil {
			return nil, err
		}
		zr, err := xz.ReaderConfig{SingleStream: true, DictCap: 1 << 12}.NewReader(xin)
		if err != nil {
			return nil, fmt.Errorf("delta part: %w: %v", errdefs.ErrCorrupt, err)
		}
		src = zr
	default:
		return nil, fmt.Errorf("Invalid compression type '%d': %w", comp[0], errdefs.ErrCorrupt)
	}
	data, mapped, err := readPayload(src, maxPayload, opts.TmpDir)
	if err != nil {
		if in.h != nil {
			// A damaged file is best reported as such: finish hashing it.
			if _, derr := io.Copy(io.Discard, in); derr != nil {
				return nil, derr
			}
			if got := object.HashSum(in.h); got != *opts.Expected {
				return nil, checksumErr(*opts.Expected, got)
			}
		}
		return nil, err
	}
	part := &Part{mapped: mapped}
	fail := func(err error) (*Part, error) {
		part.Close()
		return nil, err
	}
	if br != nil {
		// The checksum covers the whole file, past the xz stream's end.
		if _, err := io.Copy(io.Discard, br); err != nil {
			return fail(err)
		}
	}
	if in.h != nil {
		if got := object.HashSum(in.h); got != *opts.Expected {
			return fail(checksumErr(*opts.Expected, got))
		}
	}
	if part.Payload, err = UnmarshalPayload(data); err != nil {
		return fail(err)
	}
	return part, nil
}

// readPayload reads the decompressed payload, up to max bytes, into
// memory or into a mapped unlinked file in tmpDir.
func readPayload(src io.Reader, max int64, tmpDir string) (data, mapped []byte, err error) {
	if max >= math.MaxInt64 {
		max = math.MaxInt64 - 1
	}
	lim := &io.LimitedReader{R: src, N: max + 1}
	if tmpDir == "" {
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(lim); err != nil {
			return nil, nil, partReadErr(err)
		}
		if lim.N == 0 {
			return nil, nil, tooBig(max)
		}
		return buf.Bytes(), nil, nil
	}
	f, err := os.CreateTemp(tmpDir, "deltapart-")
	if err != nil {
		return nil, nil, err
	}
	os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, lim)
	if err != nil {
		return nil, nil, partReadErr(err)
	}
	if lim.N == 0 {
		return nil, nil, tooBig(max)
	}
	if n == 0 {
		return nil, nil, payloadErr("empty")
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(n), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map delta part: %w", err)
	}
	return m, m, nil
}

func checksumErr(want, got object.Checksum) error {
	return fmt.Errorf("Checksum mismatch in static delta part; expected=%s actual=%s: %w", want, got, errdefs.ErrCorrupt)
}

func tooBig(max int64) error {
	return fmt.Errorf("delta part payload exceeds %d bytes: %w", max, errdefs.ErrCorrupt)
}

func partReadErr(err error) error {
	if errors.Is(err, errFileTooBig) || errors.Is(err, errdefs.ErrCorrupt) {
		return err
	}
	return fmt.Errorf("delta part: %w: %v", errdefs.ErrCorrupt, err)
}

func eofCorrupt(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v", errdefs.ErrCorrupt, err)
	}
	return err
}

var errFileTooBig = fmt.Errorf("delta part is larger than its header says: %w", errdefs.ErrCorrupt)

// partInput reads the part file, hashing it and enforcing its size cap.
type partInput struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	limit int64
}

func (p *partInput) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.h != nil {
		p.h.Write(b[:n])
	}
	p.n += int64(n)
	if p.limit > 0 && p.n > p.limit {
		return n, errFileTooBig
	}
	return n, err
}

// xzInput checks the xz stream header and the first block's filter
// chain: it refuses dictionaries over MaxXZDict, and lowers one larger
// than maxOut (no match can reach further back than the output so far)
// so that the decoder never allocates more than the part can use. It
// returns the stream to decode.
func xzInput(br *bufio.Reader, maxOut int64) (io.Reader, error) {
	const streamHeaderLen = 12
	bad := func(what string) (io.Reader, error) {
		return nil, fmt.Errorf("delta part: %w: %s", errdefs.ErrCorrupt, what)
	}
	head, _ := br.Peek(streamHeaderLen + 1)
	if len(head) < streamHeaderLen+1 || !bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}) {
		return bad("not an xz stream")
	}
	if head[streamHeaderLen] == 0 {
		return br, nil // an index: the stream has no blocks
	}
	hdrLen := (int(head[streamHeaderLen]) + 1) * 4
	all, _ := br.Peek(streamHeaderLen + hdrLen)
	if len(all) < streamHeaderLen+hdrLen {
		return bad("truncated xz block header")
	}
	hdr := all[streamHeaderLen:]
	b := hdr[1 : hdrLen-4]
	flags := b[0]
	pos := 1
	skip := func() bool {
		_, n, err := readVarint(b[pos:])
		pos += n
		return err == nil
	}
	if flags&0x40 != 0 && !skip() || flags&0x80 != 0 && !skip() {
		return bad("bad xz block header")
	}
	dictAt := -1
	for i := 0; i <= int(flags&3); i++ {
		id, n, err := readVarint(b[pos:])
		if err != nil {
			return bad("bad xz filter flags")
		}
		pos += n
		size, n, err := readVarint(b[pos:])
		if err != nil || size > uint64(len(b)-pos-n) {
			return bad("bad xz filter flags")
		}
		pos += n
		if id == 0x21 && size == 1 {
			dictAt = pos
		}
		pos += int(size)
	}
	if dictAt < 0 {
		return br, nil
	}
	d := uint64(b[dictAt])
	if d > 40 || dictSize(d) > MaxXZDict {
		return nil, fmt.Errorf("delta part: xz dictionary exceeds the %d MiB memory limit: %w", MaxXZDict>>20, errdefs.ErrCorrupt)
	}
	if crc32.ChecksumIEEE(hdr[:hdrLen-4]) != binary.LittleEndian.Uint32(hdr[hdrLen-4:]) {
		return bad("xz block header checksum mismatch")
	}
	small := d
	for small > 0 && dictSize(small-1) >= uint64(maxOut) {
		small--
	}
	if small == d {
		return br, nil
	}
	patched := bytes.Clone(all)
	ph := patched[streamHeaderLen:]
	ph[1+dictAt] = byte(small)
	binary.LittleEndian.PutUint32(ph[hdrLen-4:], crc32.ChecksumIEEE(ph[:hdrLen-4]))
	br.Discard(len(all))
	return io.MultiReader(bytes.NewReader(patched), br), nil
}

// dictSize decodes an LZMA2 dictionary-size property.
func dictSize(d uint64) uint64 {
	if d == 40 {
		return math.MaxUint32
	}
	return (2 | d&1) << (d/2 + 11)
}
