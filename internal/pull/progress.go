package pull

import (
	"sync/atomic"
)

// Phases of a pull, as Progress reports them.
const (
	// PhaseResolve loads the summary and resolves the refs.
	PhaseResolve = "resolving"
	// PhaseFetch walks the commits and fetches what is missing.
	PhaseFetch = "fetching"
	// PhaseWrite publishes the objects and moves the refs.
	PhaseWrite = "writing"
)

// Progress counts a pull's work while it runs, for a caller to sample
// from another goroutine (a progress bar polls it a few times a second).
// The zero value is ready to use; a nil *Progress counts nothing. One
// Progress serves one pull.
type Progress struct {
	// MetadataRequested counts metadata objects (detached metadata
	// included) asked of the source or the local caches;
	// MetadataFetched those received.
	MetadataRequested, MetadataFetched atomic.Int64
	// ContentRequested counts content objects found missing and queued;
	// ContentFetched those stored. Requested grows as trees are scanned,
	// so it is the total known so far.
	ContentRequested, ContentFetched atomic.Int64
	// DeltaPartsTotal and DeltaPartsFetched count static delta parts.
	DeltaPartsTotal, DeltaPartsFetched atomic.Int64

	phase atomic.Pointer[string]
	bytes atomic.Pointer[func() int64]
}

// ProgressCounts is a snapshot of a Progress.
type ProgressCounts struct {
	Phase                              string
	MetadataRequested, MetadataFetched int64
	ContentRequested, ContentFetched   int64
	DeltaPartsTotal, DeltaPartsFetched int64
	// BytesTransferred counts bytes received over the network (0 for a
	// local pull).
	BytesTransferred int64
}

// Counts samples p; the counters are read one at a time, so a sample
// taken mid-pull may be off by the objects in flight.
func (p *Progress) Counts() ProgressCounts {
	if p == nil {
		return ProgressCounts{}
	}
	c := ProgressCounts{
		MetadataRequested: p.MetadataRequested.Load(),
		MetadataFetched:   p.MetadataFetched.Load(),
		ContentRequested:  p.ContentRequested.Load(),
		ContentFetched:    p.ContentFetched.Load(),
		DeltaPartsTotal:   p.DeltaPartsTotal.Load(),
		DeltaPartsFetched: p.DeltaPartsFetched.Load(),
	}
	if ph := p.phase.Load(); ph != nil {
		c.Phase = *ph
	}
	if fn := p.bytes.Load(); fn != nil {
		c.BytesTransferred = (*fn)()
	}
	return c
}

func (p *Progress) setPhase(s string) {
	if p != nil {
		p.phase.Store(&s)
	}
}

// setBytesSource makes fn the count of bytes transferred.
func (p *Progress) setBytesSource(fn func() int64) {
	if p != nil {
		p.bytes.Store(&fn)
	}
}

func (p *Progress) metadataRequested() {
	if p != nil {
		p.MetadataRequested.Add(1)
	}
}

func (p *Progress) metadataFetched() {
	if p != nil {
		p.MetadataFetched.Add(1)
	}
}

func (p *Progress) contentRequested() {
	if p != nil {
		p.ContentRequested.Add(1)
	}
}

func (p *Progress) contentFetched() {
	if p != nil {
		p.ContentFetched.Add(1)
	}
}
