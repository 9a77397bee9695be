package delta

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
)

// This file writes bsdiff patches in the stream format that libostree's
// bundled bsdiff (mendsley/bsdiff) produces and its bspatch reads: no
// header and no compression, a sequence of blocks each made of three
// 8-byte sign-magnitude little-endian integers (diff length, extra length,
// old-position adjustment), then the diff bytes (new minus old, mod 256),
// then the extra bytes. The matching is Colin Percival's bsdiff algorithm,
// over a suffix array built with SA-IS instead of qsufsort.

// skipLen bounds how much of a long match the scan revisits byte by byte.
const skipLen = 64

// Diff writes a patch that turns old into new.
func Diff(old, new []byte, w io.Writer) error {
	_, err := diffStats(old, new, w)
	return err
}

// patchStats summarizes a patch: how many diff bytes are not zero (new
// bytes that differ from the old ones they are paired with) and how many
// bytes are copied literally.
type patchStats struct {
	changed, extra int
}

// worthIt guesses whether a patch compresses better than the new file
// itself. Literal bytes cost what they would anyway, zero diff bytes
// almost nothing, but changed diff bytes look random to the compressor,
// where the file's own bytes would typically shrink threefold.
func (s patchStats) worthIt(newSize int) bool {
	return 3*s.changed+s.extra <= newSize*9/10
}

func diffStats(old, new []byte, w io.Writer) (patchStats, error) {
	return diffWithIndex(old, suffixArray(old), new, w)
}

// DiffMemory estimates the peak memory Diff needs beyond its inputs: the
// suffix array, SA-IS scratch and the output buffer.
func DiffMemory(oldSize, newSize int64) int64 {
	return 8*oldSize + 64<<10
}

func diffWithIndex(old []byte, sa []int32, new []byte, w io.Writer) (patchStats, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	d := differ{old: old, sa: sa, new: new, w: bw}
	if err := d.run(); err != nil {
		return d.stats, err
	}
	return d.stats, bw.Flush()
}

type differ struct {
	old, new []byte
	sa       []int32
	w        *bufio.Writer
	buf      []byte
	stats    patchStats
}

func (d *differ) run() error {
	old, new := d.old, d.new
	oldSize, newSize := len(old), len(new)
	var scan, pos, length, lastScan, lastPos, lastOffset int
	for scan < newSize {
		oldScore := 0
		scan += length
		for scsc := scan; scan < newSize; {
			pos, length = d.search(new[scan:])
			for ; scsc < scan+length; scsc++ {
				if scsc+lastOffset < oldSize && old[scsc+lastOffset] == new[scsc] {
					oldScore++
				}
			}
			if (length == oldScore && length != 0) || length > oldScore+8 {
				break
			}
			// Classic bsdiff steps one byte here, which is quadratic in a
			// long match that is almost as good at the current offset (a
			// run of zeros, say). Skipping most of such a match costs
			// little: the search resumes inside it.
			step := 1
			if length > skipLen {
				step = length - skipLen
			}
			for end := scan + step; scan < end; scan++ {
				if scan+lastOffset < oldSize && old[scan+lastOffset] == new[scan] {
					oldScore--
				}
			}
		}
		if length == oldScore && scan != newSize {
			continue
		}

		// Extend the previous match forwards and this one backwards, as
		// far as each stays at least half equal.
		s, best, lenF := 0, 0, 0
		for i := 0; lastScan+i < scan && lastPos+i < oldSize; {
			if old[lastPos+i] == new[lastScan+i] {
				s++
			}
			i++
			if s*2-i > best*2-lenF {
				best, lenF = s, i
			}
		}
		lenB := 0
		if scan < newSize {
			s, best = 0, 0
			for i := 1; scan >= lastScan+i && pos >= i; i++ {
				if old[pos-i] == new[scan-i] {
					s++
				}
				if s*2-i > best*2-lenB {
					best, lenB = s, i
				}
			}
		}
		// Split an overlap where it best serves both.
		if lastScan+lenF > scan-lenB {
			overlap := lastScan + lenF - (scan - lenB)
			s, best, lenS := 0, 0, 0
			for i := 0; i < overlap; i++ {
				if new[lastScan+lenF-overlap+i] == old[lastPos+lenF-overlap+i] {
					s++
				}
				if new[scan-lenB+i] == old[pos-lenB+i] {
					s--
				}
				if s > best {
					best, lenS = s, i+1
				}
			}
			lenF += lenS - overlap
			lenB -= lenS
		}

		extra := (scan - lenB) - (lastScan + lenF)
		if err := d.block(lastPos, lastScan, lenF, extra, (pos-lenB)-(lastPos+lenF)); err != nil {
			return err
		}
		lastScan, lastPos, lastOffset = scan-lenB, pos-lenB, pos-scan
	}
	return nil
}

// block writes one control triple, lenF diff bytes from (oldAt, newAt),
// then extra literal bytes.
func (d *differ) block(oldAt, newAt, lenF, extra, seek int) error {
	var ctrl [24]byte
	putOff(ctrl[0:], int64(lenF))
	putOff(ctrl[8:], int64(extra))
	putOff(ctrl[16:], int64(seek))
	if _, err := d.w.Write(ctrl[:]); err != nil {
		return err
	}
	if cap(d.buf) < lenF {
		d.buf = make([]byte, lenF)
	}
	diff := d.buf[:lenF]
	o, n := d.old[oldAt:oldAt+lenF], d.new[newAt:newAt+lenF]
	changed := 0
	for i := range diff {
		diff[i] = n[i] - o[i]
		if diff[i] != 0 {
			changed++
		}
	}
	d.stats.changed += changed
	d.stats.extra += extra
	if _, err := d.w.Write(diff); err != nil {
		return err
	}
	_, err := d.w.Write(d.new[newAt+lenF : newAt+lenF+extra])
	return err
}

// putOff stores x as bsdiff's offtout does: magnitude little-endian with
// the sign in the top bit.
func putOff(b []byte, x int64) {
	if x < 0 {
		binary.LittleEndian.PutUint64(b, uint64(-x)|1<<63)
		return
	}
	binary.LittleEndian.PutUint64(b, uint64(x))
}

// search finds the longest prefix of target that occurs in old, by binary
// search over the suffix array, and returns its old position and length.
func (d *differ) search(target []byte) (pos, length int) {
	old, sa := d.old, d.sa
	st, en := 0, len(sa)-1
	for en-st >= 2 {
		x := st + (en-st)/2
		// Unlike bsdiff's memcmp over the shorter length, a proper
		// prefix sorts first here, so runs (of zeros, say) find their
		// longest match instead of a one-byte one.
		if bytes.Compare(old[sa[x]:], target) < 0 {
			st = x
		} else {
			en = x
		}
	}
	ps, pe := int(sa[st]), int(sa[en])
	ls, le := matchLen(old[ps:], target), matchLen(old[pe:], target)
	if ls > le {
		return ps, ls
	}
	return pe, le
}

// matchLen is the length of the common prefix of a and b.
func matchLen(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n {
		x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:])
		if x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}
