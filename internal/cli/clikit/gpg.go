package clikit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// GPGGlobalDir is the globally trusted keyring directory:
// $OSTREE_GPG_HOME, else libostree's built-in one.
func GPGGlobalDir(in *Invocation) string {
	if d := in.Env("OSTREE_GPG_HOME"); d != "" {
		return d
	}
	return sign.DefaultGlobalKeyringDir
}

// GIOOpenError words a failed open as g_file_read does.
func GIOOpenError(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("Error opening file %s: %w", p, pe.Err)
	}
	return err
}

// RemoteKeySources is where the keys trusted for remote name come from:
// its keyring file (in the repo, the remotes.d directory, or a parent
// repo), its gpgkeypath, and otherwise the global keyrings.
func RemoteKeySources(in *Invocation, r *repo.Repo, rc *remote.Config, name string) (sign.KeySources, error) {
	if _, err := rc.Get(name); err != nil {
		return sign.KeySources{}, RemoteError(err)
	}
	var parents []string
	for p := r.Parent(); p != nil; p = p.Parent() {
		parents = append(parents, p.Path())
	}
	var keyPaths []string
	if v, err := rc.Option(name, "gpgkeypath", ""); err != nil {
		return sign.KeySources{}, RemoteError(err)
	} else if v != "" {
		if keyPaths, err = sign.SplitKeyPathList(v); err != nil {
			return sign.KeySources{}, err
		}
	}
	src := sign.ForRemote(name, r.Path(), remote.DefaultLocation(r).RemotesDir, parents, keyPaths)
	src.GlobalDir = GPGGlobalDir(in)
	return src, nil
}

// RemoteTrustedKeys loads the keys trusted for remote name; without a
// name (pull-local --gpg-verify without --remote) only the global ones.
func RemoteTrustedKeys(in *Invocation, r *repo.Repo, name string) (*sign.Keyring, error) {
	if name == "" {
		return sign.LoadKeys(in.Ctx, sign.KeySources{Global: true, GlobalDir: GPGGlobalDir(in)})
	}
	rc, err := remote.Load(in.Ctx, r)
	if err != nil {
		return nil, err
	}
	src, err := RemoteKeySources(in, r, rc, name)
	if err != nil {
		return nil, err
	}
	return sign.LoadKeys(in.Ctx, src)
}

// GPGShowSignatures is what `ostree show` prints after a commit: the
// "Found N signatures:" block, or "" when the commit has none. Keys come
// from remote verifyRemote when set, else from every remote keyring of the
// repo, homedir's keyrings and the global ones.
func GPGShowSignatures(in *Invocation, r *repo.Repo, c object.Checksum, homedir, verifyRemote string) (string, error) {
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
		kr, err = RemoteTrustedKeys(in, r, verifyRemote)
	} else {
		kr, err = sign.LoadKeys(in.Ctx, sign.KeySources{AllRemotesDir: r.Path(), KeyringDir: homedir, Global: true, GlobalDir: GPGGlobalDir(in)})
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

// GPGVerifyCommitForRemote checks a commit's signatures against the keys
// trusted for remote name, with the error `pull --gpg-verify` reports:
// "Commit C: GPG verification enabled, but no signatures found (...)" or
// the description of the bad signatures.
func GPGVerifyCommitForRemote(in *Invocation, kr *sign.Keyring, c object.Checksum, commit []byte, md object.Metadata) error {
	res, err := sign.VerifyMetadata(in.Ctx, kr, commit, md, time.Now())
	if err == nil {
		err = res.RequireValid()
	}
	if err != nil {
		return fmt.Errorf("Commit %s: %w", c, err)
	}
	return nil
}

// GPGCommitVerifier returns the pull.Options.VerifyCommit hook for
// --gpg-verify (or a remote's gpg-verify=true): commits must carry a valid
// signature by a key trusted for remote name ("" for the global keys
// only). Unparsable detached metadata counts as no signatures, as GLib's
// lenient parsing makes it for libostree.
func GPGCommitVerifier(in *Invocation, r *repo.Repo, name string) (func(ctx context.Context, c object.Checksum, commit, detached []byte) error, error) {
	kr, err := RemoteTrustedKeys(in, r, name)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c object.Checksum, commit, detached []byte) error {
		var md object.Metadata
		if len(detached) > 0 {
			md, _ = object.UnmarshalMetadata(detached)
		}
		return GPGVerifyCommitForRemote(in, kr, c, commit, md)
	}, nil
}

// GPGCheckRemoteSummary checks a remote's summary and summary.sig (nil when
// the file does not exist) for --gpg-verify-summary, with libostree's
// errors ("GPG verification enabled, but no summary.sig found ...").
func GPGCheckRemoteSummary(in *Invocation, r *repo.Repo, name string, summary, sig []byte) error {
	kr, err := RemoteTrustedKeys(in, r, name)
	if err != nil {
		return err
	}
	return sign.VerifySummary(in.Ctx, kr, summary, sig, time.Now())
}

// GPGPullHooks returns the GPGVerifyCommit and GPGVerifySummary hooks of
// pull.RemoteOptions: each remote's trusted keys are loaded once, on
// first use. The hooks are safe for concurrent use.
func GPGPullHooks(in *Invocation, r *repo.Repo) (
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
		kr, err := RemoteTrustedKeys(in, r, remote)
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
		return GPGVerifyCommitForRemote(in, kr, c, commit, md)
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
