package repocmd

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"syscall"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

type refsOpts struct {
	del, list, alias, collections, force bool
	revision                             bool // -r: each ref with its commit
	create                               string
	json                                 bool
	listed                               []refJSON // what --json prints
}

// RefJSON is one ref in the output of `refs --json`.
type refJSON struct {
	CollectionID string `json:"collection_id,omitempty"`
	Ref          string `json:"ref"`
	AliasOf      string `json:"alias_of,omitempty"`
	Checksum     string `json:"checksum"`
}

// Refs sets up `ostree refs`.
func Refs(in *clikit.Invocation) func([]string) error {
	var o refsOpts
	in.Flag("delete", 0, "Delete refs which match PREFIX, rather than listing them", &o.del)
	in.Flag("list", 0, "Do not remove the prefix from the refs", &o.list)
	in.Flag("revision", 'r', "Show revisions in listing", &o.revision)
	in.Flag("alias", 'A', "If used with --create, create an alias, otherwise just list aliases", &o.alias)
	in.String("create", 0, "NEWREF", "Create a new ref for an existing commit", &o.create)
	in.Flag("collections", 'c', "Enable listing collection IDs for refs", &o.collections)
	in.Flag("force", 0, "Overwrite existing refs when creating", &o.force)
	in.OwnFlag("json", 0, "Print the refs and their commits as a JSON array", &o.json)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if o.json && (o.del || o.create != "") {
			return errors.New("--json only applies to listing refs")
		}
		if o.json {
			return listRefsJSON(in, r, &o, args)
		}
		var out strings.Builder
		defer func() { in.Stdout.Write([]byte(out.String())) }()
		changed := false
		if len(args) >= 1 {
			if o.create != "" && len(args) > 1 {
				return fmt.Errorf("You must specify only 1 existing ref when creating a new ref")
			}
			for _, a := range args {
				c, err := doRefs(in, r, &o, a, &out)
				changed = changed || c
				if err != nil {
					return err
				}
			}
		} else {
			if o.del {
				return fmt.Errorf("At least one PREFIX is required when deleting refs")
			}
			if o.create != "" {
				return fmt.Errorf("You must specify a revision when creating a new ref")
			}
			if _, err := doRefs(in, r, &o, "", &out); err != nil {
				return err
			}
		}
		if changed {
			return summary.MaybeRegenerate(in.Ctx, r)
		}
		return nil
	}
}

// doRefs is do_ref for one PREFIX ("" for none); it reports whether refs
// changed.
func doRefs(in *clikit.Invocation, r *repo.Repo, o *refsOpts, prefix string, out *strings.Builder) (bool, error) {
	if o.collections {
		return doCollectionRefs(in, r, o, prefix, out)
	}
	ctx := in.Ctx
	var aliases map[string]string
	if o.alias || o.del {
		var err error
		if aliases, err = r.ListRefsExt(ctx, repo.ListRefsOptions{AliasesOnly: true}); err != nil {
			return false, listErr(err)
		}
	}
	var lo repo.ListRefsOptions
	switch {
	case o.del || o.list || (o.create == "" && o.alias):
		lo = repo.ListRefsOptions{Prefix: prefix, AliasesOnly: o.alias}
	case o.create != "":
		lo = repo.ListRefsOptions{}
	default:
		lo = repo.ListRefsOptions{Prefix: prefix, CutPrefix: true}
	}
	refs, err := r.ListRefsExt(ctx, lo)
	if err != nil {
		return false, listErr(err)
	}

	switch {
	case !o.del && o.create == "":
		for _, name := range clikit.SortedKeys(refs) {
			if o.json {
				e := refJSON{Ref: name, Checksum: refs[name]}
				if o.alias {
					e.AliasOf = refs[name]
					c, err := r.ResolveRev(ctx, name, false)
					if err != nil {
						return false, err
					}
					e.Checksum = c.String()
				}
				o.listed = append(o.listed, e)
				continue
			}
			if o.alias {
				fmt.Fprintf(out, "%s -> %s\n", name, refs[name])
			} else if o.revision {
				fmt.Fprintf(out, "%s\t%s\n", name, refs[name])
			} else {
				fmt.Fprintf(out, "%s\n", name)
			}
		}
		return false, nil

	case o.create != "":
		existing, err := resolveForCreate(in, r, o.create)
		if err != nil {
			return false, err
		}
		_, replacingAlias := aliases[o.create]
		replacingAlias = replacingAlias && o.alias
		if !replacingAlias && !o.force && existing {
			return false, fmt.Errorf("--create specified but ref %s already exists", o.create)
		}
		spec, err := ref.ParseSpec(o.create)
		if err != nil {
			return false, fmt.Errorf("Invalid refspec %s", o.create)
		}
		if o.alias {
			if spec.Remote != "" {
				return false, fmt.Errorf("Cannot create alias to remote ref: %s", spec.Remote)
			}
			if _, ok := refs[prefix]; !ok {
				return false, fmt.Errorf("Cannot create alias to non-existent ref: %s", prefix)
			}
			return true, r.WriteAlias(ctx, spec.Ref, prefix)
		}
		c, _, err := r.ResolveRevExt(ctx, prefix, false, true)
		if err != nil {
			return false, err
		}
		return true, r.WriteRef(ctx, spec.Remote, spec.Ref, &c)

	default: // delete
		changed := false
		for _, name := range clikit.SortedKeys(refs) {
			spec, err := ref.ParseSpec(name)
			if err != nil {
				return changed, fmt.Errorf("Invalid refspec %s", name)
			}
			for _, a := range clikit.SortedKeys(aliases) {
				if aliases[a] == spec.Ref {
					return changed, fmt.Errorf("Ref '%s' has an active alias: '%s'", spec.Ref, a)
				}
			}
			if err := r.WriteRef(ctx, spec.Remote, spec.Ref, nil); err != nil {
				return changed, err
			}
			changed = true
		}
		return changed, nil
	}
}

// resolveForCreate is the existence check of --create: the new name
// resolved locally, where a directory in the way counts as free.
func resolveForCreate(in *clikit.Invocation, r *repo.Repo, name string) (bool, error) {
	_, ok, err := r.ResolveRevExt(in.Ctx, name, true, false)
	if errors.Is(err, syscall.EISDIR) {
		return false, nil
	}
	return ok, err
}

func doCollectionRefs(in *clikit.Invocation, r *repo.Repo, o *refsOpts, prefix string, out *strings.Builder) (bool, error) {
	ctx := in.Ctx
	match := prefix
	if o.create != "" {
		match = ""
	}
	refs, err := r.ListCollectionRefs(ctx, repo.ListCollectionRefsOptions{
		Match:              match,
		RemoteCollectionID: remoteCollectionIDs(in, r),
	})
	if err != nil {
		return false, listErr(err)
	}
	keys := make([]repo.CollectionRef, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].CollectionID != keys[j].CollectionID {
			return keys[i].CollectionID < keys[j].CollectionID
		}
		return keys[i].Ref < keys[j].Ref
	})
	switch {
	case !o.del && o.create == "":
		for _, k := range keys {
			if o.json {
				o.listed = append(o.listed, refJSON{CollectionID: k.CollectionID, Ref: k.Ref, Checksum: refs[k]})
				continue
			}
			if o.revision {
				fmt.Fprintf(out, "(%s, %s)\t%s\n", k.CollectionID, k.Ref, refs[k])
			} else {
				fmt.Fprintf(out, "(%s, %s)\n", k.CollectionID, k.Ref)
			}
		}
		return false, nil
	case o.create != "":
		existing, err := resolveForCreate(in, r, o.create)
		if err != nil {
			return false, err
		}
		if !o.force && existing {
			return false, fmt.Errorf("--create specified but ref %s already exists", o.create)
		}
		c, _, err := r.ResolveRevExt(ctx, prefix, false, true)
		if err != nil {
			return false, err
		}
		// The collection ID takes the remote's place in the refspec.
		cid, name, _ := strings.Cut(o.create, ":")
		if err := ref.ValidateCollectionID(cid); err != nil {
			return false, fmt.Errorf("Invalid collection ID %s", cid)
		}
		if err := ref.ValidateRef(name); err != nil {
			return false, fmt.Errorf("Invalid ref name %s", name)
		}
		return true, r.WriteCollectionRef(ctx, repo.CollectionRef{CollectionID: cid, Ref: name}, &c)
	default:
		for i, k := range keys {
			if err := r.WriteCollectionRef(ctx, k, nil); err != nil {
				return i > 0, err
			}
		}
		return len(keys) > 0, nil
	}
}

// listErr words listing errors as libostree does.
func listErr(err error) error {
	return fmt.Errorf("Listing refs: %s", clikit.ErrorText(err))
}

// listRefsJSON is `refs --json`: the refs the plain listing would print,
// each with its commit, as one JSON array.
func listRefsJSON(in *clikit.Invocation, r *repo.Repo, o *refsOpts, prefixes []string) error {
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	var discard strings.Builder
	for _, p := range prefixes {
		if _, err := doRefs(in, r, o, p, &discard); err != nil {
			return err
		}
	}
	if o.listed == nil {
		o.listed = []refJSON{}
	}
	return writeJSON(in.Stdout, o.listed)
}
