package repocmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/finder"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// FindRemotes sets up `ostree find-remotes`.
func FindRemotes(in *clikit.Invocation) func([]string) error {
	var cacheDir, finders string
	var disableFsync, doPull, mirror bool
	in.String("cache-dir", 0, "", "Use custom cache dir", &cacheDir)
	in.Flag("disable-fsync", 0, "Do not invoke fsync()", &disableFsync)
	finderSet := false
	in.Options = append(in.Options, &clikit.Option{Long: "finders", Arg: "FINDERS", Desc: "Use the specified comma separated list of finders (e.g. config,lan,mount)",
		Func: func(v string) error { finders, finderSet = v, true; return nil }})
	in.Flag("pull", 0, "Pull the updates after finding them", &doPull)
	in.Flag("mirror", 0, "Do a mirror pull (see ostree pull --mirror)", &mirror)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 2 {
			return clikit.Usage("At least one COLLECTION-ID REF pair must be specified")
		}
		if len(args)%2 == 1 {
			return clikit.Usage("Only complete COLLECTION-ID REF pairs may be specified")
		}
		if mirror && !doPull {
			return clikit.Usage("When --mirror is specified, --pull must also be")
		}
		if disableFsync {
			r.SetFsync(false)
		}
		refs, err := parseCollectionRefs(args)
		if err != nil {
			return err
		}
		opts := finder.Options{Remote: pull.RemoteOptions{NetworkRetries: -1}}
		switch {
		case cacheDir != "":
			opts.Remote.CacheDir = cacheDir
		case in.Env("OSTREE_SKIP_CACHE") == "":
			opts.Remote.CacheDir = filepath.Join(r.Path(), "tmp", "cache")
		}
		var verifySummary func(ctx context.Context, remote string, summary, sig []byte) error
		opts.Remote.GPGVerifyCommit, verifySummary = clikit.GPGPullHooks(in, r)
		opts.Remote.GPGVerifySummary = func(ctx context.Context, remote string, summary, sig []byte) error {
			if _, err := sign.UnmarshalSummarySig(sig); err != nil {
				return sign.ErrNoSignatures
			}
			return verifySummary(ctx, remote, summary, sig)
		}
		var names []string
		if finderSet {
			if names, err = validateFinders(finders); err != nil {
				return err
			}
		} else if names, err = defaultFinders(r); err != nil {
			return err
		}
		var list []finder.Finder
		for _, n := range names {
			switch n {
			case "config":
				list = append(list, &finder.Config{Options: opts.Remote})
			case "mount":
				list = append(list, &finder.Mount{})
			}
		}
		results, err := finder.Find(in.Ctx, r, refs, list, opts)
		if err != nil {
			return err
		}
		found := map[ref.CollectionRef]bool{}
		for i, res := range results {
			var b strings.Builder
			for _, rc := range res.OrderedRefs() {
				c := "(not found)"
				if rc.Commit != nil {
					c = rc.Commit.String()
					found[rc.Ref] = true
				}
				fmt.Fprintf(&b, "    - %s = %s\n", finder.FormatRef(rc.Ref), c)
			}
			modified := "unknown"
			if res.SummaryLastModified > 0 {
				modified = isoTime(res.SummaryLastModified)
			}
			in.Printf("Result %d: %s\n - Finder: %s\n - Keyring: %s\n - Priority: %d\n - Summary last modified: %s\n - Refs:\n%s\n",
				i, res.Remote.URL, res.Finder, res.Remote.Keyring, res.Priority, modified, b.String())
		}
		if len(results) == 0 {
			in.Printf("No results.\n")
			return nil
		}
		in.Printf("%d/%d refs were found.\n", len(found), len(refs))
		if len(found) != len(refs) {
			in.Printf("Refs not found in any remote:\n")
			for _, cr := range refs {
				if !found[cr] {
					in.Printf(" - %s\n", finder.FormatRef(cr))
				}
			}
		}
		if !doPull {
			return nil
		}
		opts.Remote.Mirror = mirror
		if err := finder.Pull(in.Ctx, r, results, opts); err != nil {
			var pe *finder.PullError
			if errors.As(err, &pe) {
				return errors.New(pe.Error())
			}
			return err
		}
		in.Printf("Pulled %d/%d refs successfully.\n", len(refs), len(refs))
		return nil
	}
}

// parseCollectionRefs reads COLLECTION-ID REF pairs.
func parseCollectionRefs(args []string) ([]ref.CollectionRef, error) {
	var refs []ref.CollectionRef
	for i := 0; i+1 < len(args); i += 2 {
		if err := ref.ValidateCollectionID(args[i]); err != nil {
			return nil, fmt.Errorf("Invalid collection ID %s", args[i])
		}
		if err := ref.ValidateRef(args[i+1]); err != nil {
			return nil, fmt.Errorf("Invalid ref name %s", args[i+1])
		}
		refs = append(refs, ref.CollectionRef{CollectionID: args[i], Ref: args[i+1]})
	}
	return refs, nil
}

// validateFinders checks --finders: a comma-separated list of distinct
// finder names. This build has no LAN (Avahi) finder.
func validateFinders(s string) ([]string, error) {
	if s == "" {
		return nil, clikit.Usage("List of finders in --finders option must not be empty")
	}
	names := strings.Split(s, ",")
	seen := map[string]bool{}
	for _, n := range names {
		if (n != "config" && n != "lan" && n != "mount") || seen[n] {
			return nil, clikit.Usage("Unknown or duplicate finder type given in --finders option: ‘%s’", n)
		}
		seen[n] = true
	}
	for _, n := range names {
		if n == "lan" {
			return nil, clikit.Usage("LAN repo finder requested but ostree was compiled without Avahi support")
		}
	}
	return names, nil
}

// defaultFinders reads core.default-repo-finders (default config and
// mount); "lan" is left out, as in a libostree build without Avahi.
func defaultFinders(r *repo.Repo) ([]string, error) {
	names, ok := r.Config().StringList("core", "default-repo-finders")
	if !ok {
		return []string{"config", "mount"}, nil
	}
	if len(names) == 0 {
		return nil, errors.New("Invalid empty default-repo-finders configuration")
	}
	var out []string
	for _, n := range names {
		switch n {
		case "config", "mount":
			out = append(out, n)
		case "lan":
		default:
			return nil, fmt.Errorf("Invalid configured repo-finder '%s'", n)
		}
	}
	return out, nil
}

// isoTime formats seconds since the epoch as libostree's
// uint64_secs_to_iso8601 does.
func isoTime(secs uint64) string {
	if secs > 253402300799 {
		return "invalid"
	}
	return time.Unix(int64(secs), 0).UTC().Format("2006-01-02T15:04:05Z")
}
