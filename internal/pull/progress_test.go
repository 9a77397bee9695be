package pull_test

import (
	"context"
	"sync"
	"testing"

	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/traverse"
)

// sampler polls a Progress while a pull runs and checks that no counter
// ever goes backwards.
func sampler(t *testing.T, p *pull.Progress) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var bad []string
	wg.Go(func() {
		var last pull.ProgressCounts
		for {
			c := p.Counts()
			if c.MetadataFetched < last.MetadataFetched || c.ContentFetched < last.ContentFetched ||
				c.ContentRequested < last.ContentRequested || c.MetadataRequested < last.MetadataRequested ||
				c.BytesTransferred < last.BytesTransferred {
				bad = append(bad, "counters went backwards")
			}
			last = c
			select {
			case <-done:
				return
			default:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		for _, b := range bad {
			t.Error(b)
		}
	}
}

func TestProgressLocal(t *testing.T) {
	src, _ := source(t, repo.ModeArchive)
	dst := traverse.TestRepo(t, repo.ModeBareUser)
	var p pull.Progress
	stop := sampler(t, &p)
	st := doPull(t, dst, src, pull.Options{Refs: []string{"test2"}, Depth: -1, Progress: &p})
	stop()
	got := p.Counts()
	want := pull.ProgressCounts{
		Phase: pull.PhaseWrite,
		// Each commit's detached metadata is asked for too.
		MetadataRequested: int64(st.MetadataImported) + 2,
		MetadataFetched:   int64(st.MetadataImported) + 2,
		ContentRequested:  int64(st.ContentImported),
		ContentFetched:    int64(st.ContentImported),
	}
	if got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if st.ContentImported == 0 {
		t.Error("nothing imported")
	}
}

func TestProgressHTTP(t *testing.T) {
	src, _ := httpSource(t, true)
	url, _ := serveRepo(t, src, nil)
	dst := addRemote(t, traverse.TestRepo(t, repo.ModeArchive), "origin", url)
	var p pull.Progress
	stop := sampler(t, &p)
	o := fastOpts(pull.Options{Refs: []string{"main"}, Depth: -1, Progress: &p})
	// Progress counts every detached-metadata request; the result counts
	// absent ones only when asked to (libostree 2022.7's way).
	o.CountMissingDetached = true
	res, err := pull.PullRemote(context.Background(), dst, "origin", o)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	got := p.Counts()
	want := pull.ProgressCounts{
		Phase:             pull.PhaseWrite,
		MetadataRequested: int64(res.MetadataFetched),
		MetadataFetched:   int64(res.MetadataFetched),
		ContentRequested:  int64(res.ContentFetched),
		ContentFetched:    int64(res.ContentFetched),
		BytesTransferred:  res.BytesTransferred,
	}
	if got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if res.BytesTransferred < 3<<20 {
		t.Errorf("%d bytes transferred, want the 3 MiB file at least", res.BytesTransferred)
	}
}

func TestProgressNil(t *testing.T) {
	var p *pull.Progress
	if c := p.Counts(); c != (pull.ProgressCounts{}) {
		t.Errorf("nil Progress counts %+v", c)
	}
}
