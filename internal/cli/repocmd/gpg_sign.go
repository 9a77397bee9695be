package repocmd

import (
	"fmt"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// GpgSign is `ostree gpg-sign COMMIT KEY-ID...`: append a GPG
// signature of the commit by each key, or with --delete remove the
// signatures made by the keys.
func GpgSign(in *clikit.Invocation) func([]string) error {
	var del bool
	var homedir string
	in.Flag("delete", 'd', "Delete signatures having any of the GPG KEY-IDs", &del)
	in.String("gpg-homedir", 0, "HOMEDIR", "GPG Homedir to use when looking for keyrings", &homedir)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("Need a COMMIT to sign")
		}
		if len(args) < 2 {
			return clikit.Usage("Need at least one GPG KEY-ID to sign with")
		}
		c, err := r.ResolveRev(in.Ctx, args[0], false)
		if err != nil {
			return err
		}
		if del {
			n, err := gpgDeleteSignatures(in, r, c, args[1:])
			if err != nil {
				return err
			}
			in.Printf("Signatures deleted: %d\n", n)
			return nil
		}
		home := &sign.Home{Dir: homedir}
		for _, id := range args[1:] {
			if err := gpgSignCommit(in, r, c, home, id); err != nil {
				return err
			}
		}
		return nil
	}
}

// gpgSignCommit appends a signature by keyID to the detached metadata of
// commit c (ostree_repo_sign_commit); `commit --gpg-sign` does the same.
func gpgSignCommit(in *clikit.Invocation, r *repo.Repo, c object.Checksum, home *sign.Home, keyID string) error {
	data, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		return fmt.Errorf("Failed to read commit: %w", err)
	}
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		return fmt.Errorf("Failed to read detached metadata: %w", err)
	}
	md, err = sign.SignCommit(in.Ctx, home, clikit.GPGGlobalDir(in), data, md, keyID)
	if err != nil {
		return err
	}
	return r.WriteDetachedMetadata(in.Ctx, c, md)
}

// gpgDeleteSignatures removes the signatures of commit c made by the
// keys named, identifying keys with the keyrings of all remotes and the
// global ones, as `ostree gpg-sign --delete` does (it ignores
// --gpg-homedir).
func gpgDeleteSignatures(in *clikit.Invocation, r *repo.Repo, c object.Checksum, keyIDs []string) (int, error) {
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		return 0, err
	}
	if _, ok := sign.Signatures(md); !ok {
		return 0, nil
	}
	data, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		return 0, fmt.Errorf("Failed to read commit: %w", err)
	}
	kr, err := sign.LoadKeys(in.Ctx, sign.KeySources{AllRemotesDir: r.Path(), Global: true, GlobalDir: clikit.GPGGlobalDir(in)})
	if err != nil {
		return 0, err
	}
	md, n, err := sign.DeleteSignatures(in.Ctx, kr, data, md, keyIDs, time.Now())
	if err != nil {
		return 0, err
	}
	if err := r.WriteDetachedMetadata(in.Ctx, c, md); err != nil {
		return 0, err
	}
	return n, nil
}
