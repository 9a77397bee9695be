package commit

import (
	"context"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// KeyGPGSigs is the detached-metadata key holding binary OpenPGP
// signatures of the commit object.
const KeyGPGSigs = "ostree.gpgsigs"

// GPGSign signs commit c with each key ID (a binary detached signature
// over the commit object's bytes, made with the secret keys of the GnuPG
// home homedir, or the default home when empty) and appends the
// signatures to ostree.gpgsigs in the commit's detached metadata.
func GPGSign(ctx context.Context, r *repo.Repo, c object.Checksum, keyIDs []string, homedir string) error {
	data, err := r.LoadMetadata(ctx, c, object.TypeCommit)
	if err != nil {
		return err
	}
	return gpgSignData(ctx, r, c, data, keyIDs, homedir)
}

// gpgSignData signs the commit bytes data and stores the signatures.
func gpgSignData(ctx context.Context, r *repo.Repo, c object.Checksum, data []byte, keyIDs []string, homedir string) error {
	md, err := r.LoadDetachedMetadata(ctx, c)
	if err != nil {
		return err
	}
	for _, key := range keyIDs {
		sig, err := gpgDetachSign(ctx, data, key, homedir)
		if err != nil {
			return err
		}
		md = appendSignature(md, KeyGPGSigs, sig)
	}
	return r.WriteDetachedMetadata(ctx, c, md)
}

// appendSignature adds sig to the aay under key in the detached
// metadata md, the way libostree does it (through a GVariantDict).
func appendSignature(md object.Metadata, key string, sig []byte) object.Metadata {
	var sigs []any
	if v, ok := lookupLast(md, key); ok && v.Type.String() == "aay" {
		sigs = append(sigs, v.Value.([]any)...)
	}
	sigs = append(sigs, sig)
	md = append(md, object.MetaEntry{Key: key, Value: gvariant.NewVariant("aay", sigs)})
	return dictOrder(md)
}

// KeyDummySig is where the "dummy" signature type (libostree's test
// signer) stores its signatures.
const KeyDummySig = "ostree.sign.dummy"

// signCommit adds signatures of the commit bytes data by the libostree
// signature type signType ("ed25519" when empty) with each secret key to
// md, as `commit --sign` does (ostree_sign_set_sk, ostree_sign_commit).
func signCommit(ctx context.Context, md object.Metadata, data []byte, signType string, keys []string, getenv func(string) string) (object.Metadata, error) {
	if signType == "" {
		signType = "ed25519"
	}
	s, err := sign.New(signType, sign.Options{Getenv: getenv})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := s.SetSecretKey(k); err != nil {
			return nil, err
		}
		if md, err = sign.SignData(ctx, s, data, md); err != nil {
			return nil, err
		}
	}
	return md, nil
}

func gpgDetachSign(ctx context.Context, data []byte, key, homedir string) ([]byte, error) {
	return (&sign.Home{Dir: homedir}).Sign(ctx, key, data)
}
