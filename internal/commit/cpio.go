package commit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// cpioReader reads "newc" (070701/070702) and "odc" (070707) cpio
// archives, turning repeated (dev, inode) pairs of multiply-linked files
// into hard links to the first name, as libarchive does.
type cpioReader struct {
	r      *bufio.Reader
	remain int64 // unread payload of the current entry
	pad    int   // padding after the current payload
	links  map[[2]uint64]*cpioLink
}

type cpioLink struct {
	name  string
	links int64
}

func newCpioReader(r *bufio.Reader) *cpioReader {
	return &cpioReader{r: r, links: map[[2]uint64]*cpioLink{}}
}

// Read reads the current entry's payload.
func (c *cpioReader) Read(p []byte) (int, error) {
	if c.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.r.Read(p)
	c.remain -= int64(n)
	if err == io.EOF && c.remain > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

var errCorruptCpio = errors.New("damaged cpio archive")

func parseHex(b []byte) (uint64, error) {
	n, err := strconv.ParseUint(string(b), 16, 64)
	if err != nil {
		return 0, errCorruptCpio
	}
	return n, nil
}

func parseOct(b []byte) (uint64, error) {
	n, err := strconv.ParseUint(string(b), 8, 64)
	if err != nil {
		return 0, errCorruptCpio
	}
	return n, nil
}

// next returns the next entry, or io.EOF after the trailer.
func (c *cpioReader) next() (*archiveEntry, error) {
	if _, err := c.r.Discard(int(c.remain) + c.pad); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorruptCpio, err)
	}
	c.remain, c.pad = 0, 0
	magic, err := c.r.Peek(6)
	if err != nil {
		if err == io.EOF && len(magic) == 0 {
			return nil, io.EOF
		}
		return nil, errCorruptCpio
	}
	var (
		f                 [13]uint64
		namesize, hdrSize int
		newc              bool
	)
	switch string(magic) {
	case "070701", "070702":
		newc = true
		hdr := make([]byte, 110)
		if _, err := io.ReadFull(c.r, hdr); err != nil {
			return nil, errCorruptCpio
		}
		for i := range f {
			if f[i], err = parseHex(hdr[6+8*i : 14+8*i]); err != nil {
				return nil, err
			}
		}
		hdrSize = 110
		namesize = int(f[11])
	case "070707":
		hdr := make([]byte, 76)
		if _, err := io.ReadFull(c.r, hdr); err != nil {
			return nil, errCorruptCpio
		}
		// dev ino mode uid gid nlink rdev mtime namesize filesize
		widths := []int{6, 6, 6, 6, 6, 6, 6, 11, 6, 11}
		vals := make([]uint64, len(widths))
		off := 6
		for i, w := range widths {
			if vals[i], err = parseOct(hdr[off : off+w]); err != nil {
				return nil, err
			}
			off += w
		}
		// Map onto the newc field order.
		f[0], f[1], f[2], f[3], f[4], f[5], f[6] = vals[1], vals[2], vals[3], vals[4], vals[5], vals[7], vals[9]
		f[7] = vals[0]
		hdrSize = 76
		namesize = int(vals[8])
	default:
		return nil, fmt.Errorf("%w: bad magic", errCorruptCpio)
	}
	if namesize <= 0 || namesize > 1<<16 {
		return nil, errCorruptCpio
	}
	nameb := make([]byte, namesize)
	if _, err := io.ReadFull(c.r, nameb); err != nil {
		return nil, errCorruptCpio
	}
	name := string(bytes.TrimRight(nameb, "\x00"))
	if newc {
		if p := (4 - (hdrSize+namesize)%4) % 4; p > 0 {
			if _, err := c.r.Discard(p); err != nil {
				return nil, errCorruptCpio
			}
		}
	}
	size := int64(f[6])
	c.remain = size
	if newc {
		c.pad = int((4 - size%4) % 4)
	}
	if name == "TRAILER!!!" {
		return nil, io.EOF
	}
	mode := uint32(f[1])
	e := &archiveEntry{
		path: name,
		fi:   FileInfo{Mode: mode, UID: uint32(f[2]), GID: uint32(f[3])},
		body: c,
	}
	if mode&0o170000 == 0o120000 {
		if size > 1<<16 {
			return nil, fmt.Errorf("%w: symlink target of %s too long", errCorruptCpio, name)
		}
		target := make([]byte, size)
		if _, err := io.ReadFull(c, target); err != nil {
			return nil, errCorruptCpio
		}
		e.fi.Target = string(target)
	} else if mode&0o170000 == 0o100000 {
		e.fi.Size = size
	}
	// Hard links: later names of a multiply-linked file link to the first.
	if nlink := int64(f[4]); nlink > 1 {
		dev := f[7]<<32 | f[8]
		if !newc {
			dev = f[7]
		}
		key := [2]uint64{dev, f[0]}
		if l, ok := c.links[key]; ok {
			e.hardlink = l.name
			if l.links--; l.links <= 0 {
				delete(c.links, key)
			}
		} else {
			c.links[key] = &cpioLink{name: name, links: nlink - 1}
		}
	}
	return e, nil
}
