package delta

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
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
	// TmpDir, when set, receives an uncompressed payload as an unlinked
	// file that is then mapped, so that large parts are not held in the
	// Go heap; otherwise the payload is read into memory. xz payloads are
	// always decoded into memory, which is also their dictionary.
	TmpDir string
	// SizeHint is the expected payload size (the part header's
	// uncompressed size), to allocate the payload once; 0 if unknown.
	SizeHint uint64
	// Buf is storage an xz payload is decoded into when its capacity
	// suffices: a previous part's Buffer, so that applying many parts
	// does not leave a trail of garbage buffers.
	Buf []byte
}

// maxSizeHint caps what a size hint may allocate up front, whatever a
// superblock claims.
const maxSizeHint = 256 << 20

// payloadHint is the capacity to decode a part's payload into. The
// payload is the part's objects plus its operations and tables, a few
// bytes an object: room for a 32nd more avoids regrowing it, which
// would hold the old and the new buffer at once.
func payloadHint(sizeHint uint64, maxPayload int64) uint64 {
	return min(sizeHint+sizeHint/32+256<<10, maxSizeHint, uint64(maxPayload))
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
	buf     []byte // the decoded payload in the heap, for Buffer
}

// Buffer returns the heap storage of the payload for reuse by a later
// OpenPart (OpenOptions.Buf), or nil. The payload must not be used
// afterwards.
func (p *Part) Buffer() []byte {
	b := p.buf
	p.buf, p.Payload = nil, nil
	return b
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
	var (
		br           *bufio.Reader
		data, mapped []byte
		err          error
	)
	switch comp[0] {
	case CompressionNone:
		data, mapped, err = readPayload(in, maxPayload, opts.TmpDir)
	case CompressionXZ:
		br = bufio.NewReaderSize(in, 64<<10)
		hint := payloadHint(opts.SizeHint, maxPayload)
		buf := opts.Buf[:0]
		if uint64(cap(buf)) < hint {
			buf = make([]byte, 0, hint)
		}
		data, err = readXZ(br, buf, maxPayload)
		if err == nil && len(data) == 0 {
			err = payloadErr("empty")
		}
	default:
		return nil, fmt.Errorf("Invalid compression type '%d': %w", comp[0], errdefs.ErrCorrupt)
	}
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
	if comp[0] == CompressionXZ {
		part.buf = data
	}
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
