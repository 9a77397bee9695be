package repocmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	signpkg "github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/summary"
)

// Summary sets up `ostree summary`.
func Summary(in *clikit.Invocation) func([]string) error {
	var (
		update, view, raw    bool
		gpgSign, sign, extra []string
		gpgHome, signType    string
	)
	in.Flag("update", 'u', "Update the summary", &update)
	in.Flag("view", 'v', "View the local summary file", &view)
	in.Flag("raw", 0, "View the raw bytes of the summary file", &raw)
	var q clikit.SummaryQuery
	in.Flag("list-metadata-keys", 0, "List the available metadata keys", &q.List)
	in.String("print-metadata-key", 0, "KEY", "Print string value of metadata key", &q.Key)
	in.Strings("gpg-sign", 0, "KEY-ID", "GPG Key ID to sign the summary with", &gpgSign)
	in.String("gpg-homedir", 0, "HOMEDIR", "GPG Homedir to use when looking for keyrings", &gpgHome)
	in.Strings("sign", 0, "KEY-ID", "Key ID to sign the summary with", &sign)
	in.String("sign-type", 0, "NAME", "Signature type to use (defaults to 'ed25519')", &signType)
	in.Strings("add-metadata", 'm', "KEY=VALUE", "Additional metadata field to add to the summary", &extra)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		var signer signpkg.Signer
		if len(sign) > 0 {
			if signer, err = newSigner(in, signType); err != nil {
				return err
			}
		}
		switch {
		case update:
			md, err := parseAdditionalMetadata(extra)
			if err != nil {
				return err
			}
			keys := summaryKeys{gpg: gpgSign, gpgHome: gpgHome, signer: signer, secrets: sign}
			if err := updateSummary(in, r, md, keys); err != nil {
				return err
			}
			if len(gpgSign) > 0 {
				if err := gpgSignSummary(in, r, gpgSign, gpgHome); err != nil {
					return err
				}
			}
			if signer != nil {
				if err := signSummary(in, r, signer, sign); err != nil {
					return err
				}
			}
			if len(gpgSign) > 0 || signer != nil {
				return matchSigMtime(r.Path())
			}
			return nil
		case view || raw:
			data, err := os.ReadFile(filepath.Join(r.Path(), "summary"))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("openat(summary): No such file or directory")
				}
				return err
			}
			out, err := clikit.DumpSummary(data, raw)
			if err != nil {
				return err
			}
			_, err = in.Stdout.Write([]byte(out))
			return err
		case q.Active():
			data, err := os.ReadFile(filepath.Join(r.Path(), "summary"))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("openat(summary): No such file or directory")
				}
				return err
			}
			return q.Run(in, data)
		}
		return fmt.Errorf("No option specified; use -u to update summary")
	}
}

// parseAdditionalMetadata is build_additional_metadata: KEY=VALUE pairs
// with values in GVariant text format.
func parseAdditionalMetadata(args []string) (object.Metadata, error) {
	var md object.Metadata
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("Missing '=' in KEY=VALUE metadata '%s'", a)
		}
		t, val, err := gvariant.ParseAny(v)
		if err != nil {
			return nil, fmt.Errorf("Error parsing variant ‘%s’: : %v", v, err)
		}
		// A builder keeps duplicates; the dictionary built from it keeps
		// the first position and the last value.
		md = append(md, object.MetaEntry{Key: k, Value: gvariant.Variant{Type: t, Value: val}})
	}
	return md, nil
}

// summaryKeys are the keys `summary -u` signs with: GPG key IDs and the
// secret keys of a signature engine.
type summaryKeys struct {
	gpg     []string
	gpgHome string
	signer  signpkg.Signer
	secrets []string
}

// updateSummary is `summary -u`: with a collection ID, a new
// ostree-metadata commit first (signed with keys), then the summary.
func updateSummary(in *clikit.Invocation, r *repo.Repo, md object.Metadata, keys summaryKeys) error {
	if r.CollectionID() != "" {
		ts, err := summary.CommitTime(in.Env)
		if err != nil {
			return err
		}
		c, err := summary.WriteMetadataCommit(in.Ctx, r, md, ts)
		if err != nil {
			return err
		}
		for _, id := range keys.gpg {
			if err := gpgSignCommit(in, r, c, &signpkg.Home{Dir: keys.gpgHome}, id); err != nil {
				return err
			}
		}
		for _, k := range keys.secrets {
			if err := signCommitWith(in, r, c, keys.signer, k); err != nil {
				return err
			}
		}
		if err := summary.MaybeRegenerate(in.Ctx, r); err != nil {
			return err
		}
	}
	return summary.Regenerate(in.Ctx, r, summary.Options{Additional: md, RemoteCollectionID: remoteCollectionIDs(in, r)})
}

// remoteCollectionIDs looks up remotes' collection IDs in the full remote
// configuration, loaded on first use.
func remoteCollectionIDs(in *clikit.Invocation, r *repo.Repo) func(string) (string, bool) {
	var cfg *remote.Config
	var loadErr error
	return func(name string) (string, bool) {
		if cfg == nil && loadErr == nil {
			cfg, loadErr = remote.Load(in.Ctx, r)
		}
		if loadErr != nil {
			return "", false
		}
		id, err := cfg.CollectionID(name)
		return id, err == nil && id != ""
	}
}

// gpgSignSummary appends signatures of the summary to summary.sig
// (ostree_repo_add_gpg_signature_summary).
func gpgSignSummary(in *clikit.Invocation, r *repo.Repo, keyIDs []string, homedir string) error {
	summ, err := os.ReadFile(filepath.Join(r.Path(), "summary"))
	if err != nil {
		return err
	}
	old, err := os.ReadFile(filepath.Join(r.Path(), "summary.sig"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	sig, err := signpkg.SignSummary(in.Ctx, &signpkg.Home{Dir: homedir}, summ, old, keyIDs)
	if err != nil {
		return err
	}
	return fsx.WriteFileAtomic(filepath.Join(r.Path(), "summary.sig"), sig, 0o644, true)
}

// signSummary appends signatures of the summary by each secret key of
// engine s to summary.sig (ostree_sign_summary).
func signSummary(in *clikit.Invocation, r *repo.Repo, s signpkg.Signer, secrets []string) error {
	summ, err := os.ReadFile(filepath.Join(r.Path(), "summary"))
	if err != nil {
		return err
	}
	old, err := os.ReadFile(filepath.Join(r.Path(), "summary.sig"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	sig, err := signpkg.SignSummaryKeys(in.Ctx, s, summ, old, secrets)
	if err != nil {
		return err
	}
	return fsx.WriteFileAtomic(filepath.Join(r.Path(), "summary.sig"), sig, 0o644, r.FsyncEnabled())
}

// matchSigMtime gives summary.sig the summary's modification time, as
// libostree 2025.2 does, so that caches keyed on it see one pair.
func matchSigMtime(repoPath string) error {
	fi, err := os.Stat(filepath.Join(repoPath, "summary"))
	if err != nil {
		return err
	}
	sig := filepath.Join(repoPath, "summary.sig")
	if err := os.Chtimes(sig, fi.ModTime(), fi.ModTime()); err != nil {
		return fmt.Errorf("setting the time of summary.sig: %w", err)
	}
	return nil
}
