package remotecmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/summary"
)

// fetchRemoteSummary downloads remote name's summary and summary.sig as
// ostree_repo_remote_fetch_summary does: through the summary cache
// (cacheDir, else REPO/tmp/cache unless $OSTREE_SKIP_CACHE is set), with
// summary signatures checked when the remote asks for it.
func fetchRemoteSummary(in *clikit.Invocation, r *repo.Repo, name, cacheDir string) (data, sig []byte, err error) {
	opts := pull.RemoteOptions{NetworkRetries: -1}
	switch {
	case cacheDir != "":
		opts.CacheDir = cacheDir
	case in.Env("OSTREE_SKIP_CACHE") == "":
		opts.CacheDir = filepath.Join(r.Path(), "tmp", "cache")
	}
	_, verifySummary := clikit.GPGPullHooks(in, r)
	opts.GPGVerifySummary = func(ctx context.Context, remote string, summary, sig []byte) error {
		// GLib reads a damaged summary.sig as holding no signatures.
		if _, err := sign.UnmarshalSummarySig(sig); err != nil {
			return sign.ErrNoSignatures
		}
		return verifySummary(ctx, remote, summary, sig)
	}
	return pull.FetchSummary(in.Ctx, r, name, opts)
}

// remoteRefJSON is one ref of `remote refs --json`.
type remoteRefJSON struct {
	Remote   string `json:"remote"`
	Ref      string `json:"ref"`
	Checksum string `json:"checksum"`
}

// setupRemoteRefs is `ostree remote refs NAME`: the refs of the remote's
// summary (its main refs, not those of other collections), sorted, as
// NAME:REF.
func setupRemoteRefs(in *clikit.Invocation) func([]string) error {
	var cacheDir string
	var asJSON, revision bool
	in.Flag("revision", 'r', "Show revisions in listing", &revision)
	in.String("cache-dir", 0, "", "Use custom cache dir", &cacheDir)
	in.OwnFlag("json", 0, "Print a JSON array of {remote, ref, checksum}", &asJSON)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("NAME must be specified")
		}
		name := args[0]
		data, _, err := fetchRemoteSummary(in, r, name, cacheDir)
		if err != nil {
			return remoteFetchError(err)
		}
		if data == nil {
			return errors.New("Remote refs not available; server has no summary file")
		}
		s, err := summary.Unmarshal(data)
		if err != nil {
			return err
		}
		refs := uniqueRefs(s.Refs)
		if asJSON {
			out := make([]remoteRefJSON, 0, len(refs))
			for _, rf := range refs {
				out = append(out, remoteRefJSON{Remote: name, Ref: rf.Name, Checksum: rf.Checksum.String()})
			}
			return writeRemoteJSON(in, out)
		}
		var b strings.Builder
		for _, rf := range refs {
			if revision {
				fmt.Fprintf(&b, "%s:%s\t%s\n", name, rf.Name, rf.Checksum)
			} else {
				fmt.Fprintf(&b, "%s:%s\n", name, rf.Name)
			}
		}
		_, err = in.Stdout.Write([]byte(b.String()))
		return err
	}
}

// uniqueRefs sorts refs by name; of refs listed twice (which a summary
// in normal form never does) the last counts, as in libostree's table.
func uniqueRefs(refs []summary.Ref) []summary.Ref {
	out := append([]summary.Ref(nil), refs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	uniq := out[:0]
	for i, rf := range out {
		if i+1 < len(out) && out[i+1].Name == rf.Name {
			continue
		}
		uniq = append(uniq, rf)
	}
	return uniq
}

// setupRemoteSummary is `ostree remote summary NAME`: the summary as
// `ostree summary --view` (or --raw) shows it and, when the remote
// verifies summary signatures, the signatures.
func setupRemoteSummary(in *clikit.Invocation) func([]string) error {
	var cacheDir string
	var raw bool
	var q clikit.SummaryQuery
	in.Flag("list-metadata-keys", 0, "List the available metadata keys", &q.List)
	in.String("print-metadata-key", 0, "KEY", "Print string value of metadata key", &q.Key)
	in.String("cache-dir", 0, "", "Use custom cache dir", &cacheDir)
	in.Flag("raw", 0, "Show raw variant data", &raw)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("NAME must be specified")
		}
		name := args[0]
		data, sig, err := fetchRemoteSummary(in, r, name, cacheDir)
		if err != nil {
			return remoteFetchError(err)
		}
		if data == nil {
			return errors.New("Remote server has no summary file")
		}
		if q.Active() {
			return q.Run(in, data)
		}
		out, err := clikit.DumpSummary(data, raw)
		if err != nil {
			return err
		}
		if _, err := in.Stdout.Write([]byte(out)); err != nil {
			return err
		}
		cfg, err := remote.Load(in.Ctx, r)
		if err != nil {
			return err
		}
		verify, err := cfg.BoolOption(name, "gpg-verify-summary", false)
		if err != nil {
			return clikit.RemoteError(err)
		}
		// libostree leaves signatures out of --raw output.
		if !verify || sig == nil || raw {
			return nil
		}
		text, err := describeSummarySignatures(in, r, name, data, sig)
		if err != nil {
			return err
		}
		_, err = in.Stdout.Write([]byte("\n" + text))
		return err
	}
}

// describeSummarySignatures is ostree_print_gpg_verify_result for the
// summary's signatures, checked against the keys trusted for the remote.
func describeSummarySignatures(in *clikit.Invocation, r *repo.Repo, name string, data, sig []byte) (string, error) {
	kr, err := clikit.RemoteTrustedKeys(in, r, name)
	if err != nil {
		return "", err
	}
	md, err := sign.UnmarshalSummarySig(sig)
	if err != nil {
		return "", sign.ErrNoSignatures
	}
	res, err := sign.VerifyMetadata(in.Ctx, kr, data, md, time.Now())
	if err != nil {
		return "", err
	}
	var b strings.Builder
	n := len(res.Signatures)
	fmt.Fprintf(&b, "GPG: Verification enabled, found %d signature%s:\n", n, gpgPlural(n))
	for i := range n {
		b.WriteString("\n")
		b.WriteString(res.Describe(i, "  "))
	}
	return b.String(), nil
}

// remoteFetchError words a missing remote as libostree does.
func remoteFetchError(err error) error {
	var nf *remote.NotFoundError
	if errors.As(err, &nf) {
		return clikit.RemoteError(err)
	}
	return err
}
