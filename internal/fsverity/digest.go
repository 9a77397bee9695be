package fsverity

import (
	"crypto/sha256"
	"hash"
	"io"
)

// A Digest computes the fs-verity file digest of everything written to it.
// It keeps one pending data block and one pending block per tree level, so
// memory grows with the tree's depth, not the file's size. It is not safe
// for concurrent use.
type Digest struct {
	p     Params
	err   error  // invalid Params: every Write returns it
	salt  []byte // the salt zero-padded to sha256BlockSize, or nil
	h     hash.Hash
	bs    int
	size  uint64
	data  []byte // pending data block
	fill  int    // bytes pending in data
	tree  []level
	spare []byte // scratch block for Sum, which must not disturb the state
}

// level is the pending block of one Merkle tree level: level 0 holds the
// hashes of data blocks, level n+1 the hashes of level n's blocks.
type level struct {
	buf   []byte
	fill  int
	count uint64 // hashes ever added to this level
}

// New returns a streaming Digest for p. If p is invalid, Write returns the
// error (see Params.Validate) and Sum returns the zero digest.
func New(p Params) *Digest {
	d := &Digest{p: p, err: p.Validate()}
	if d.err != nil {
		return d
	}
	d.bs = p.blockSize()
	d.data = make([]byte, d.bs)
	if len(p.Salt) > 0 {
		d.salt = make([]byte, sha256BlockSize)
		copy(d.salt, p.Salt)
		d.h = sha256.New()
	}
	return d
}

// Err returns the error that makes this Digest unusable, if any.
func (d *Digest) Err() error { return d.err }

// Size returns the number of bytes written so far.
func (d *Digest) Size() uint64 { return d.size }

// Write adds b to the file; it never fails for valid Params.
func (d *Digest) Write(b []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := len(b)
	d.size += uint64(n)
	if d.fill > 0 {
		c := copy(d.data[d.fill:], b)
		d.fill += c
		b = b[c:]
		if d.fill < d.bs {
			return n, nil
		}
		d.push(0, d.hashBlock(d.data))
		d.fill = 0
	}
	// Whole blocks are hashed in place, without copying.
	for len(b) >= d.bs {
		d.push(0, d.hashBlock(b[:d.bs]))
		b = b[d.bs:]
	}
	d.fill = copy(d.data, b)
	return n, nil
}

// hashBlock hashes one full block with the salt prepended.
func (d *Digest) hashBlock(block []byte) [sha256.Size]byte {
	if d.salt == nil {
		return sha256.Sum256(block)
	}
	var out [sha256.Size]byte
	d.h.Reset()
	d.h.Write(d.salt)
	d.h.Write(block)
	d.h.Sum(out[:0])
	return out
}

// push adds a block hash to tree level i, hashing the level's block into
// the level above as soon as it is full.
func (d *Digest) push(i int, sum [sha256.Size]byte) {
	for {
		if i == len(d.tree) {
			d.tree = append(d.tree, level{buf: make([]byte, d.bs)})
		}
		l := &d.tree[i]
		copy(l.buf[l.fill:], sum[:])
		l.fill += sha256.Size
		l.count++
		if l.fill < d.bs {
			return
		}
		sum = d.hashBlock(l.buf)
		l.fill = 0
		i++
	}
}

// Sum returns the fs-verity digest of the data written so far. It does not
// change the state: more writes may follow.
func (d *Digest) Sum() [sha256.Size]byte {
	if d.err != nil {
		return [sha256.Size]byte{}
	}
	return descriptorDigest(d.p, d.size, d.rootHash())
}

// rootHash finishes the tree on a copy of the pending blocks: each partial
// block is zero-padded, hashed and carried into the level above, until one
// level holds a single hash. An empty file's root hash is all zeros.
func (d *Digest) rootHash() [sha256.Size]byte {
	var carry [sha256.Size]byte
	if d.size == 0 {
		return carry
	}
	if d.spare == nil {
		d.spare = make([]byte, d.bs)
	}
	hasCarry := d.fill > 0
	if hasCarry {
		carry = d.hashBlock(d.padded(d.data[:d.fill]))
	}
	for i := range d.tree {
		l := &d.tree[i]
		count := l.count
		if hasCarry {
			count++
		}
		if count == 1 { // the top: a level above exists only after a full block
			if hasCarry {
				return carry
			}
			return [sha256.Size]byte(l.buf[:sha256.Size])
		}
		if l.fill == 0 && !hasCarry {
			continue // everything of this level is already in the next
		}
		n := copy(d.spare, l.buf[:l.fill])
		if hasCarry {
			n += copy(d.spare[n:], carry[:])
		}
		carry = d.hashBlock(d.padded(d.spare[:n]))
		hasCarry = true
	}
	return carry // one data block: its hash is the root
}

// padded returns b zero-extended to a full block in the spare buffer; b is
// either d.data's prefix or the spare buffer's own prefix.
func (d *Digest) padded(b []byte) []byte {
	n := copy(d.spare, b)
	clear(d.spare[n:])
	return d.spare
}

// Sum returns the fs-verity digest of r's contents with the default Params.
func Sum(r io.Reader) ([sha256.Size]byte, error) {
	return SumParams(r, Params{})
}

// SumParams returns the fs-verity digest of r's contents.
func SumParams(r io.Reader, p Params) ([sha256.Size]byte, error) {
	d := New(p)
	if d.err != nil {
		return [sha256.Size]byte{}, d.err
	}
	buf := make([]byte, max(d.bs, 256<<10))
	for {
		n, err := r.Read(buf)
		d.Write(buf[:n])
		if err == io.EOF {
			return d.Sum(), nil
		}
		if err != nil {
			return [sha256.Size]byte{}, err
		}
	}
}
