package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// setupRemoteGpgImport is `ostree remote gpg-import NAME [KEY-ID...]`.
func setupRemoteGpgImport(in *Invocation) func([]string) error {
	var keyrings []string
	var stdin bool
	in.Strings("keyring", 'k', "FILE", "Import keys from a keyring file (repeatable)", &keyrings)
	in.Flag("stdin", 0, "Import keys from standard input", &stdin)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return Usage("NAME must be specified")
		}
		if stdin && len(keyrings) > 0 {
			return Usage("--keyring and --stdin are mutually exclusive")
		}
		name, keyIDs := args[0], args[1:]
		var src io.Reader = in.Stdin
		if !stdin {
			var all []byte
			for _, p := range keyrings {
				b, err := os.ReadFile(p)
				if err != nil {
					return gioOpenError(p, err)
				}
				// Each file may be armored or binary on its own.
				if bin, err := sign.Dearmor(b); err == nil {
					b = bin
				}
				all = append(all, b...)
			}
			src = bytes.NewReader(all)
		}
		rc, err := remote.Load(in.Ctx, r)
		if err != nil {
			return err
		}
		n, err := gpgImportKeys(in, r, rc, name, src, keyIDs)
		if err != nil {
			return err
		}
		in.Printf("Imported %d GPG key%s to remote \"%s\"\n", n, gpgPlural(n), name)
		return nil
	}
}

func gpgPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// gioOpenError words a failed open as g_file_read does.
func gioOpenError(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("Error opening file %s: %w", p, pe.Err)
	}
	return err
}

// gpgImportKeys imports keys into the keyring of remote name, which rc
// (the remotes of r) must know (ostree_repo_remote_gpg_import), with
// libostree's "GPG: " error prefix; `remote add --gpg-import` uses it too.
func gpgImportKeys(in *Invocation, r *repo.Repo, rc *remote.Config, name string, src io.Reader, keyIDs []string) (int, error) {
	if _, err := rc.Get(name); err != nil {
		return 0, fmt.Errorf("GPG: %w", remoteError(err))
	}
	n, err := sign.ImportKeys(in.Ctx, r.Path(), name, src, keyIDs)
	if err != nil {
		return 0, fmt.Errorf("GPG: %w", err)
	}
	return n, nil
}

// setupRemoteGpgListKeys is `ostree remote gpg-list-keys [NAME]`: the keys
// trusted for remote NAME, or the global keys without NAME.
func setupRemoteGpgListKeys(in *Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		src := sign.KeySources{Global: true, GlobalDir: gpgGlobalDir(in)}
		if len(args) > 0 {
			rc, err := remote.Load(in.Ctx, r)
			if err != nil {
				return err
			}
			if src, err = remoteKeySources(in, r, rc, args[0]); err != nil {
				return err
			}
			src.Global = false // listing a remote shows only its own keys
		}
		kr, err := sign.LoadKeys(in.Ctx, src)
		if err != nil {
			return err
		}
		var out bytes.Buffer
		for _, k := range kr.Info(time.Now()) {
			out.WriteString(sign.FormatKeyInfo(k))
		}
		_, err = in.Stdout.Write(out.Bytes())
		return err
	}
}

// remoteKeySources is where the keys trusted for remote name come from:
// its keyring file (in the repo, the remotes.d directory, or a parent
// repo), its gpgkeypath, and otherwise the global keyrings.
func remoteKeySources(in *Invocation, r *repo.Repo, rc *remote.Config, name string) (sign.KeySources, error) {
	if _, err := rc.Get(name); err != nil {
		return sign.KeySources{}, remoteError(err)
	}
	var parents []string
	for p := r.Parent(); p != nil; p = p.Parent() {
		parents = append(parents, p.Path())
	}
	var keyPaths []string
	if v, err := rc.Option(name, "gpgkeypath", ""); err != nil {
		return sign.KeySources{}, remoteError(err)
	} else if v != "" {
		if keyPaths, err = sign.SplitKeyPathList(v); err != nil {
			return sign.KeySources{}, err
		}
	}
	src := sign.ForRemote(name, r.Path(), remote.DefaultLocation(r).RemotesDir, parents, keyPaths)
	src.GlobalDir = gpgGlobalDir(in)
	return src, nil
}

// remoteTrustedKeys loads the keys trusted for remote name; without a
// name (pull-local --gpg-verify without --remote) only the global ones.
func remoteTrustedKeys(in *Invocation, r *repo.Repo, name string) (*sign.Keyring, error) {
	if name == "" {
		return sign.LoadKeys(in.Ctx, sign.KeySources{Global: true, GlobalDir: gpgGlobalDir(in)})
	}
	rc, err := remote.Load(in.Ctx, r)
	if err != nil {
		return nil, err
	}
	src, err := remoteKeySources(in, r, rc, name)
	if err != nil {
		return nil, err
	}
	return sign.LoadKeys(in.Ctx, src)
}

// gpgShowSignatures is what `ostree show` prints after a commit: the
// "Found N signatures:" block, or "" when the commit has none. Keys come
// from remote verifyRemote when set, else from every remote keyring of the
// repo, homedir's keyrings and the global ones.
func gpgShowSignatures(in *Invocation, r *repo.Repo, c object.Checksum, homedir, verifyRemote string) (string, error) {
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		return "", fmt.Errorf("Failed to read detached metadata: %w", err)
	}
	if _, ok := sign.Signatures(md); !ok {
		return "", nil
	}
	data, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		return "", fmt.Errorf("Failed to read commit: %w", err)
	}
	var kr *sign.Keyring
	if verifyRemote != "" {
		kr, err = remoteTrustedKeys(in, r, verifyRemote)
	} else {
		kr, err = sign.LoadKeys(in.Ctx, sign.KeySources{AllRemotesDir: r.Path(), KeyringDir: homedir, Global: true, GlobalDir: gpgGlobalDir(in)})
	}
	if err != nil {
		return "", err
	}
	res, err := sign.VerifyMetadata(in.Ctx, kr, data, md, time.Now())
	if err != nil {
		return "", err
	}
	return res.ShowText(), nil
}

// gpgVerifyCommitForRemote checks a commit's signatures against the keys
// trusted for remote name, with the error `pull --gpg-verify` reports:
// "Commit C: GPG verification enabled, but no signatures found (...)" or
// the description of the bad signatures.
func gpgVerifyCommitForRemote(in *Invocation, kr *sign.Keyring, c object.Checksum, commit []byte, md object.Metadata) error {
	res, err := sign.VerifyMetadata(in.Ctx, kr, commit, md, time.Now())
	if err == nil {
		err = res.RequireValid()
	}
	if err != nil {
		return fmt.Errorf("Commit %s: %w", c, err)
	}
	return nil
}

// gpgCommitVerifier returns the pull.Options.VerifyCommit hook for
// --gpg-verify (or a remote's gpg-verify=true): commits must carry a valid
// signature by a key trusted for remote name ("" for the global keys
// only). Unparsable detached metadata counts as no signatures, as GLib's
// lenient parsing makes it for libostree.
func gpgCommitVerifier(in *Invocation, r *repo.Repo, name string) (func(ctx context.Context, c object.Checksum, commit, detached []byte) error, error) {
	kr, err := remoteTrustedKeys(in, r, name)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c object.Checksum, commit, detached []byte) error {
		var md object.Metadata
		if len(detached) > 0 {
			md, _ = object.UnmarshalMetadata(detached)
		}
		return gpgVerifyCommitForRemote(in, kr, c, commit, md)
	}, nil
}

// gpgCheckRemoteSummary checks a remote's summary and summary.sig (nil when
// the file does not exist) for --gpg-verify-summary, with libostree's
// errors ("GPG verification enabled, but no summary.sig found ...").
func gpgCheckRemoteSummary(in *Invocation, r *repo.Repo, name string, summary, sig []byte) error {
	kr, err := remoteTrustedKeys(in, r, name)
	if err != nil {
		return err
	}
	return sign.VerifySummary(in.Ctx, kr, summary, sig, time.Now())
}

// gpgPullHooks returns the GPGVerifyCommit and GPGVerifySummary hooks of
// pull.RemoteOptions: each remote's trusted keys are loaded once, on
// first use. The hooks are safe for concurrent use.
func gpgPullHooks(in *Invocation, r *repo.Repo) (
	verifyCommit func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error,
	verifySummary func(ctx context.Context, remote string, summary, sig []byte) error,
) {
	var mu sync.Mutex
	cache := map[string]*sign.Keyring{}
	keys := func(remote string) (*sign.Keyring, error) {
		mu.Lock()
		defer mu.Unlock()
		if kr, ok := cache[remote]; ok {
			return kr, nil
		}
		kr, err := remoteTrustedKeys(in, r, remote)
		if err != nil {
			return nil, err
		}
		cache[remote] = kr
		return kr, nil
	}
	verifyCommit = func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error {
		kr, err := keys(remote)
		if err != nil {
			return err
		}
		var md object.Metadata
		if len(detached) > 0 {
			md, _ = object.UnmarshalMetadata(detached)
		}
		return gpgVerifyCommitForRemote(in, kr, c, commit, md)
	}
	verifySummary = func(ctx context.Context, remote string, summary, sig []byte) error {
		kr, err := keys(remote)
		if err != nil {
			return err
		}
		return sign.VerifySummary(ctx, kr, summary, sig, time.Now())
	}
	return verifyCommit, verifySummary
}
