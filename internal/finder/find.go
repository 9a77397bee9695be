package finder

import (
	"context"
	"errors"
	"fmt"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// Options configure Find and Pull.
type Options struct {
	// Remote configures summary downloads (cache, retries, the GPG
	// hooks) and, for Pull, the pulls: Mirror, Depth and the rest of its
	// Options.
	Remote pull.RemoteOptions
}

// maxTimestamp is the last second GLib's GDateTime can represent;
// libostree treats later commit timestamps as unknown.
const maxTimestamp = 253402300799

// commitMeta is what the summaries say about one commit.
type commitMeta struct {
	size, timestamp uint64
	refs            []int // indices of the requested refs that name it
}

// Find is ostree_repo_find_remotes: it asks the finders which remotes
// serve refs, reads each candidate's summary, and keeps for every ref
// only the remotes that have its newest commit (by commit timestamp;
// earlier results win ties). Each returned result lists every requested
// ref, with a nil commit where it does not serve the newest one; results
// serving none are dropped. Results come best first. Candidates whose
// summary cannot be read, or contradicts another's, are dropped too.
func Find(ctx context.Context, dst *repo.Repo, refs []ref.CollectionRef, finders []Finder, opts Options) ([]*Result, error) {
	var results []*Result
	for _, f := range finders {
		rs, err := f.Resolve(ctx, refs, dst)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue // libostree logs and goes on
		}
		results = append(results, rs...)
	}
	sortResults(results)
	if len(results) == 0 {
		return nil, nil
	}
	cfg, err := remote.Load(ctx, dst)
	if err != nil {
		return nil, err
	}

	metas := map[object.Checksum]*commitMeta{}
	// table[i][j] is the commit result j's summary gives ref i.
	table := make([][]*object.Checksum, len(refs))
	for i := range table {
		table[i] = make([]*object.Checksum, len(results))
	}
	valid := make([]bool, len(results))
	for j, res := range results {
		sum, err := resultSummary(ctx, dst, res, opts)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		if sum == nil {
			continue
		}
		p := &summaryProcessor{ctx: ctx, dst: dst, refs: refs, metas: metas, table: table, result: j}
		ok := true
		if cid, has := sum.CollectionID(); has {
			ok = p.process(cid, sum.Refs)
		}
		cols, err := sum.Collections()
		if err != nil {
			ok = false
		}
		for _, c := range cols {
			if !ok {
				break
			}
			// A made-up remote serves only the collection its keyring is
			// configured for.
			if kr := res.Remote.KeyringRemote; kr != "" {
				if cid, err := cfg.CollectionID(kr); err != nil || cid != c.ID {
					continue
				}
			}
			ok = p.process(c.ID, c.Refs)
		}
		if !ok {
			// As in libostree, what the summary already contributed to
			// the table stays there.
			continue
		}
		res.SummaryLastModified, _ = sum.LastModified()
		valid[j] = true
	}

	if err := fillTimestamps(ctx, dst, results, valid, metas, table, opts); err != nil {
		return nil, err
	}

	latest := make([]*object.Checksum, len(refs))
	for i := range refs {
		var best *commitMeta
		for j := range results {
			c := table[i][j]
			if c == nil {
				continue
			}
			if m := metas[*c]; best == nil || m.timestamp > best.timestamp {
				latest[i], best = c, m
			}
		}
	}

	var final []*Result
	for j, res := range results {
		if !valid[j] {
			continue
		}
		res.Refs = nil
		n := 0
		for i, cr := range refs {
			var c *object.Checksum
			if t := table[i][j]; t != nil && latest[i] != nil && *t == *latest[i] {
				c = t
				n++
			}
			res.setRef(cr, c)
		}
		if n == 0 {
			continue // none of its refs is new enough
		}
		final = append(final, res)
	}
	sortResults(final)
	return final, nil
}

// resultSummary returns the summary of a result's remote, or nil when it
// has none.
func resultSummary(ctx context.Context, dst *repo.Repo, res *Result, opts Options) (*summary.Summary, error) {
	raw := res.summary
	if raw == nil {
		name := res.Remote.Name
		if res.Remote.KeyringRemote != "" {
			// A made-up remote is not configured: read its URL, whose
			// summary is never signature-checked.
			name = res.Remote.URL
		}
		var err error
		if raw, _, err = pull.FetchSummary(ctx, dst, name, opts.Remote); err != nil {
			return nil, err
		}
		if raw == nil {
			return nil, nil
		}
	}
	return summary.Unmarshal(raw)
}

// summaryProcessor records what one result's summary says about the
// requested refs (find_remotes_process_refs).
type summaryProcessor struct {
	ctx    context.Context
	dst    *repo.Repo
	refs   []ref.CollectionRef
	metas  map[object.Checksum]*commitMeta
	table  [][]*object.Checksum
	result int
}

// process handles the refs of collection cid; false means the summary
// is unusable (an invalid ref name, or commit facts that contradict
// another summary's).
func (p *summaryProcessor) process(cid string, refs []summary.Ref) bool {
	for _, r := range refs {
		if ref.ValidateRef(r.Name) != nil {
			return false
		}
		idx := -1
		for i, want := range p.refs {
			if want.CollectionID == cid && want.Ref == r.Name {
				idx = i
				break
			}
		}
		if idx < 0 {
			continue
		}
		ts, _ := r.Timestamp()
		if ts > maxTimestamp {
			ts = 0
		}
		m := p.metas[r.Checksum]
		if m == nil {
			m = &commitMeta{size: r.CommitSize}
			if cm, err := p.dst.LoadCommit(p.ctx, r.Checksum); err == nil {
				m.timestamp = cm.Timestamp
			}
			p.metas[r.Checksum] = m
		}
		if m.timestamp == 0 {
			m.timestamp = ts
		} else if ts != 0 && m.timestamp != ts {
			return false
		}
		if r.CommitSize != m.size {
			return false
		}
		c := r.Checksum
		p.table[idx][p.result] = &c
		m.refs = append(m.refs, idx)
	}
	return true
}

// errNoCommit reports a commit no remote delivered.
var errNoCommit = errors.New("finder: commit metadata not found")

// fillTimestamps downloads the commits whose timestamp no summary gave,
// from the results that list them (best first), to learn it.
func fillTimestamps(ctx context.Context, dst *repo.Repo, results []*Result, valid []bool, metas map[object.Checksum]*commitMeta, table [][]*object.Checksum, opts Options) error {
	for c, m := range metas {
		if m.timestamp != 0 {
			continue
		}
		found := false
	search:
		for _, i := range m.refs {
			for j, res := range results {
				if !valid[j] || table[i][j] == nil || *table[i][j] != c {
					continue
				}
				ts, ok, err := remoteCommitTimestamp(ctx, dst, res.Remote, c, opts)
				if err != nil {
					return err
				}
				if ok {
					m.timestamp, found = ts, true
					break search
				}
			}
		}
		if !found {
			return fmt.Errorf("Metadata not found for commit ‘%s’: %w", c, errNoCommit)
		}
		if m.timestamp > maxTimestamp {
			m.timestamp = 0
		}
	}
	return nil
}
