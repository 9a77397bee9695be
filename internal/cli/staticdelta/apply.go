package staticdelta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/delta"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// signOptions are the key options of apply-offline and verify.
type signOptions struct {
	signType, keysFile, keysDir string
}

func (o *signOptions) declare(in *clikit.Invocation) {
	in.String("sign-type", 0, "NAME", "Signature type to use (defaults to 'ed25519')", &o.signType)
	in.OwnString("keys-file", 0, "NAME", "Read key(s) from file", &o.keysFile)
	in.OwnString("keys-dir", 0, "NAME", "Redefine system-wide directories with public and revoked keys for verification", &o.keysDir)
}

// load gives the engine the KEY-IDs, then the keys file or directory (the
// system directories when neither is given) when there is no KEY-ID or
// a keys file, as both commands do.
func (o *signOptions) load(s sign.Signer, keys []string) error {
	for _, k := range keys {
		if err := s.AddPublicKey(k); err != nil {
			return err
		}
	}
	if len(keys) > 0 && o.keysFile == "" {
		return nil
	}
	if o.keysFile != "" {
		return s.LoadKeysFile(o.keysFile)
	}
	return s.LoadKeysDir(o.keysDir)
}

// setupStaticDeltaApplyOffline is `ostree static-delta apply-offline
// PATH [KEY-ID...]` (ostree_repo_static_delta_execute_offline_with_signature):
// PATH is a delta directory or its superblock file. A signed superblock
// is verified when keys are available, and must be when
// core.sign-verify-deltas is set.
func setupStaticDeltaApplyOffline(in *clikit.Invocation) func([]string) error {
	var so signOptions
	so.declare(in)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return errors.New("PATH must be specified")
		}
		name := so.signType
		if name == "" {
			name = "ed25519"
		}
		s, err := sign.New(name, sign.Options{Getenv: in.Env})
		if err != nil {
			return fmt.Errorf("Signing type %s is not supported", name)
		}
		if err := so.load(s, args[1:]); err != nil {
			if len(args) > 1 || so.keysFile != "" || so.keysDir != "" {
				return err
			}
			s = nil // no system keys: no verification engine
		}
		return applyOffline(in.Ctx, r, args[0], s)
	}
}

func applyOffline(ctx context.Context, r *repo.Repo, path string, s sign.Signer) error {
	dir, base := path, "superblock"
	st, err := os.Stat(path)
	if err != nil {
		return openatError("O_DIRECTORY", err)
	}
	if !st.IsDir() {
		dir, base = filepath.Dir(path), filepath.Base(path)
	}
	raw, err := os.ReadFile(filepath.Join(dir, base))
	if err != nil {
		return openatError(base, err)
	}
	sb, unsigned, signed, err := delta.ReadSuperblockFile(raw)
	if err != nil {
		return err
	}
	if signed != nil {
		verify, err := r.Config().Bool("core", "sign-verify-deltas", false)
		if err != nil {
			return err
		}
		if verify && s == nil {
			return errors.New("Key is mandatory to check delta signature")
		}
		if s != nil {
			if _, err := verifySuperblock(ctx, s, unsigned, signed); err != nil {
				return err
			}
		}
	}
	detached, hasDetached, err := sb.DetachedMetadata()
	if err != nil {
		return err
	}
	haveTo, err := r.HasObject(ctx, sb.To, object.TypeCommit)
	if err != nil {
		return err
	}
	txn, err := r.Begin(ctx)
	if err != nil {
		return err
	}
	defer txn.Abort()
	err = delta.Apply(ctx, txn, sb, delta.ApplyOptions{
		OpenPart: func(_ context.Context, i int) (io.ReadCloser, error) {
			f, err := os.Open(filepath.Join(dir, strconv.Itoa(i)))
			if err != nil {
				return nil, fmt.Errorf("Opening deltapart '%d': %w", i, err)
			}
			return f, nil
		},
	})
	if err != nil {
		return err
	}
	if hasDetached && !haveTo {
		if err := r.WriteDetachedMetadata(ctx, sb.To, detached); err != nil {
			return err
		}
	}
	return txn.Commit(ctx)
}

// verifySuperblock checks a signed superblock's signatures of engine s
// (_ostree_repo_static_delta_verify_signature).
func verifySuperblock(ctx context.Context, s sign.Signer, unsigned []byte, signed *delta.Signed) (string, error) {
	sigs, ok := signed.SignaturesFor(s.MetadataKey())
	if !ok {
		return "", fmt.Errorf("no signature for '%s' in static-delta superblock", s.MetadataKey())
	}
	return s.Verify(ctx, unsigned, sigs)
}

// setupStaticDeltaVerify is `ostree static-delta verify DELTA [KEY-ID...]`.
func setupStaticDeltaVerify(in *clikit.Invocation) func([]string) error {
	var so signOptions
	so.declare(in)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return errors.New("DELTA must be specified")
		}
		name := so.signType
		if name == "" {
			name = "ed25519"
		}
		s, err := sign.New(name, sign.Options{Getenv: in.Env})
		if err != nil {
			in.Printf("Sign-type not supported\n")
			return clikit.ExitError{Code: 1}
		}
		if err := so.load(s, args[1:]); err != nil {
			return err
		}
		err = verifyDelta(in.Ctx, r, args[0], s)
		in.Printf("Verification %s\n", map[bool]string{true: "OK", false: "fails"}[err == nil])
		return err
	}
}

func verifyDelta(ctx context.Context, r *repo.Repo, arg string, s sign.Signer) error {
	raw, err := readSuperblockArg(r, arg)
	if err != nil {
		return err
	}
	if !delta.IsSigned(raw) {
		return errors.New("no signatures in static-delta")
	}
	signed, err := delta.UnmarshalSigned(raw)
	if err != nil {
		return err
	}
	_, err = verifySuperblock(ctx, s, signed.Superblock, signed)
	return err
}
