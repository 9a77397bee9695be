package object

import (
	"bufio"
	"io"
	"sync"

	kflate "github.com/klauspost/compress/flate"
)

// Pulls and local imports unpack one .filez after another; a fresh
// inflater for each (its 32 KiB window, Huffman tables and read buffer,
// about 50 KiB) made a 5,000-object pull allocate hundreds of megabytes
// and spend its time collecting them. Payloads opened with OpenArchive
// hand their inflater back on Release.

type inflater struct {
	br *bufio.Reader
	fr io.ReadCloser // also a kflate.Resetter
}

var inflaters = sync.Pool{New: func() any {
	br := bufio.NewReader(nil)
	return &inflater{br: br, fr: kflate.NewReader(br)}
}}

// Payload is the payload of a .filez stream opened by OpenArchive.
type Payload struct {
	sizedReader
	inf *inflater
}

// Release returns the payload's inflater for reuse; the payload must
// not be read afterwards. It is safe to call more than once.
func (p *Payload) Release() {
	if p.inf == nil {
		return
	}
	p.inf.br.Reset(nil)
	inflaters.Put(p.inf)
	p.inf = nil
	p.r = eofReader{}
}

// OpenArchive reads a .filez header like ReadArchiveHeader and returns
// the payload with a pooled inflater: call Release when done with it.
func OpenArchive(r io.Reader) (*FileHeader, uint64, *Payload, error) {
	h, size, err := readArchiveHeaderOnly(r)
	if err != nil {
		return nil, 0, nil, err
	}
	if h.IsSymlink() {
		return h, size, &Payload{sizedReader: sizedReader{r: eofReader{}}}, nil
	}
	inf := inflaters.Get().(*inflater)
	inf.br.Reset(r)
	if err := inf.fr.(kflate.Resetter).Reset(inf.br, nil); err != nil {
		inflaters.Put(inf)
		return nil, 0, nil, err
	}
	return h, size, &Payload{sizedReader: sizedReader{r: inf.fr, left: int64(size)}, inf: inf}, nil
}
