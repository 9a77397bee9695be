package finder

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// Config finds the configured remotes whose collection-id is a
// requested ref's collection and whose summary lists the ref
// (OstreeRepoFinderConfig). Remotes without a valid collection ID, or
// whose summary cannot be had, are skipped.
type Config struct {
	// Options configure the summary downloads: the summary cache,
	// retries, and the GPG hook for remotes with gpg-verify-summary.
	Options pull.RemoteOptions
}

// ConfigName is the libostree type name of Config's results.
const ConfigName = "OstreeRepoFinderConfig"

// configPriority is libostree's: lower (worse) than the other finders.
const configPriority = 100

// Resolve implements Finder.
func (f *Config) Resolve(ctx context.Context, refs []ref.CollectionRef, parent *repo.Repo) ([]*Result, error) {
	cfg, err := remote.Load(ctx, parent)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		name, collection string
		summary          []byte
		refs             map[ref.CollectionRef]object.Checksum
	}
	var cands []*candidate
	for _, name := range cfg.Names() {
		cid, err := cfg.CollectionID(name)
		if err != nil || cid == "" || ref.ValidateCollectionID(cid) != nil {
			continue
		}
		cands = append(cands, &candidate{name: name, collection: cid})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, c := range cands {
		g.Go(func() error {
			raw, _, err := pull.FetchSummary(gctx, parent, c.name, f.Options)
			if err != nil || raw == nil {
				// libostree ignores the remote, unless cancelled.
				return gctx.Err()
			}
			sum, err := summary.Unmarshal(raw)
			if err != nil {
				return nil
			}
			if c.refs, err = summaryRefs(sum); err != nil {
				return nil
			}
			c.summary = raw
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var results []*Result
	for _, c := range cands {
		if c.refs == nil {
			continue
		}
		res := &Result{Finder: ConfigName, Priority: configPriority, summary: c.summary}
		for _, r := range refs {
			if r.CollectionID != c.collection {
				continue
			}
			if sum, ok := c.refs[r]; ok {
				res.setRef(r, &sum)
			}
		}
		if len(res.Refs) == 0 {
			continue
		}
		url, _ := cfg.Option(c.name, "url", "")
		res.Remote = Remote{Name: c.name, URL: url, Keyring: c.name + ".trustedkeys.gpg"}
		results = append(results, res)
	}
	sortResults(results)
	return results, nil
}

// summaryRefs lists the collection-refs a summary advertises: its refs
// under ostree.summary.collection-id (keyed with an empty collection
// when it has none) and those of its collection map, as
// ostree_repo_remote_list_collection_refs does. An invalid ref name
// makes the whole summary unusable.
func summaryRefs(sum *summary.Summary) (map[ref.CollectionRef]object.Checksum, error) {
	out := map[ref.CollectionRef]object.Checksum{}
	main, _ := sum.CollectionID()
	add := func(cid string, refs []summary.Ref) error {
		for _, r := range refs {
			if err := ref.ValidateRef(r.Name); err != nil {
				return fmt.Errorf("summary ref %q: %w", r.Name, errdefs.ErrInvalid)
			}
			out[ref.CollectionRef{CollectionID: cid, Ref: r.Name}] = r.Checksum
		}
		return nil
	}
	if err := add(main, sum.Refs); err != nil {
		return nil, err
	}
	cols, err := sum.Collections()
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if err := add(c.ID, c.Refs); err != nil {
			return nil, err
		}
	}
	return out, nil
}
