package repocmd

import (
	"fmt"
	"os"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// Sign is `ostree sign COMMIT KEY-ID...` (ot-builtin-sign.c): append
// a signature of the commit by each secret key, or with --verify report
// the first public key (then --keys-file, --keys-dir or the system keys)
// that verifies one of its signatures. Like libostree 2022.7 it accepts
// --delete and ignores it.
func Sign(in *clikit.Invocation) func([]string) error {
	var del, verify bool
	var signType, keysFile, keysDir string
	in.Flag("delete", 'd', "Delete signatures having any of the KEY-IDs", &del)
	in.Flag("verify", 0, "Verify signatures", &verify)
	in.String("sign-type", 's', "NAME", "Signature type to use (defaults to 'ed25519')", &signType)
	// libostree has these only when built with ed25519, which the
	// reference build (Debian's) is not: its help lacks them.
	in.OwnString("keys-file", 0, "NAME", "Read key(s) from file", &keysFile)
	in.OwnString("keys-dir", 0, "NAME", "Redefine system-wide directories with public and revoked keys for verification", &keysDir)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("Need a COMMIT to sign or verify")
		}
		if !verify && keysFile == "" && len(args) < 2 {
			return clikit.Usage("Need at least one KEY-ID to sign with")
		}
		c, err := r.ResolveRev(in.Ctx, args[0], false)
		if err != nil {
			return err
		}
		s, err := newSigner(in, signType)
		if err != nil {
			return err
		}
		keys := args[1:]
		if verify {
			return signVerifyCommit(in, r, c, s, keys, keysFile, keysDir)
		}
		for _, k := range keys {
			if err := signCommitWith(in, r, c, s, k); err != nil {
				return err
			}
		}
		if keysFile == "" {
			return nil
		}
		if st, err := os.Stat(keysFile); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("File object '%s' is not a regular file", keysFile)
		}
		f, err := os.Open(keysFile)
		if err != nil {
			return clikit.GIOOpenError(keysFile, err)
		}
		defer f.Close()
		secrets, err := sign.ParseKeysFile(f)
		if err != nil {
			return err
		}
		for _, k := range secrets {
			if err := signCommitWith(in, r, c, s, k); err != nil {
				return err
			}
		}
		return nil
	}
}

// newSigner returns the engine that --sign-type names (ed25519 by
// default).
func newSigner(in *clikit.Invocation, signType string) (sign.Signer, error) {
	if signType == "" {
		signType = "ed25519"
	}
	return sign.New(signType, sign.Options{Getenv: in.Env})
}

// signVerifyCommit is `ostree sign --verify`: each KEY-ID alone first
// (failures are quiet), then the keys file, or the keys directory (the
// system ones by default) when no KEY-ID was given.
func signVerifyCommit(in *clikit.Invocation, r *repo.Repo, c object.Checksum, s sign.Signer, keys []string, keysFile, keysDir string) error {
	for _, k := range keys {
		if s.SetPublicKey(k) != nil {
			continue
		}
		if msg, err := verifyCommitWith(in, r, c, s); err == nil {
			in.Printf("%s\n", msg)
			return nil
		}
	}
	if len(keys) == 0 || keysFile != "" {
		var err error
		if keysFile != "" {
			err = s.LoadKeysFile(keysFile)
		} else {
			err = s.LoadKeysDir(keysDir)
		}
		if err != nil {
			return err
		}
		msg, err := verifyCommitWith(in, r, c, s)
		if err != nil {
			return err
		}
		in.Printf("%s\n", msg)
		return nil
	}
	return fmt.Errorf("No valid signatures found")
}

// signCommitWith appends a signature by secret key to the detached
// metadata of commit c (ostree_sign_set_sk, then ostree_sign_commit).
func signCommitWith(in *clikit.Invocation, r *repo.Repo, c object.Checksum, s sign.Signer, key string) error {
	if err := s.SetSecretKey(key); err != nil {
		return err
	}
	data, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		return fmt.Errorf("Failed to read commit: %w", err)
	}
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		return fmt.Errorf("Failed to read detached metadata: %w", err)
	}
	if md, err = sign.SignData(in.Ctx, s, data, md); err != nil {
		return err
	}
	return r.WriteDetachedMetadata(in.Ctx, c, md)
}

// verifyCommitWith is ostree_sign_commit_verify.
func verifyCommitWith(in *clikit.Invocation, r *repo.Repo, c object.Checksum, s sign.Signer) (string, error) {
	data, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		return "", fmt.Errorf("Failed to read commit: %w", err)
	}
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		return "", fmt.Errorf("Failed to read detached metadata: %w", err)
	}
	return sign.VerifyData(in.Ctx, s, data, md)
}
