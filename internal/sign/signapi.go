package sign

import (
	"context"
	"errors"
	"fmt"

	"github.com/gostree/gostree/internal/object"
)

// MetadataSignatures returns the signatures of engine s in md (detached
// commit metadata, summary.sig, a signed superblock's metadata): nil when
// md has no s.MetadataKey() of type aay, which is what Verify expects.
func MetadataSignatures(md object.Metadata, s Signer) [][]byte {
	return signaturesAt(md, s.MetadataKey())
}

func signaturesAt(md object.Metadata, key string) [][]byte {
	v, ok := md.Lookup(key)
	if !ok || v.Type.String() != "aay" {
		return nil
	}
	list, ok := v.Value.([]any)
	if !ok {
		return nil
	}
	out := make([][]byte, 0, len(list))
	for _, e := range list {
		b, ok := e.([]byte)
		if !ok {
			return nil
		}
		out = append(out, b)
	}
	return out
}

// AppendSignatureAt returns md with sig appended to the aay under key,
// edited through a GVariantDict as libostree's
// _sign_detached_metadata_append does. md is not modified.
func AppendSignatureAt(md object.Metadata, key string, sig []byte) object.Metadata {
	d := object.NewVarDictFrom(md)
	var sigs [][]byte
	if v, ok := d.Lookup(key); ok {
		sigs = signaturesAt(object.Metadata{{Key: key, Value: v}}, key)
	}
	sigs = append(append([][]byte{}, sigs...), sig)
	d.Insert(key, sigsValue(sigs))
	return d.End()
}

// SignData signs data with s's secret key and returns md with the
// signature appended (ostree_sign_commit for a commit's bytes and its
// detached metadata; the caller writes the result).
func SignData(ctx context.Context, s Signer, data []byte, md object.Metadata) (object.Metadata, error) {
	sig, err := s.Sign(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("Not able to sign the cobject: %w", err)
	}
	return AppendSignatureAt(md, s.MetadataKey(), sig), nil
}

// VerifyData checks data against the signatures of engine s in md
// (ostree_sign_commit_verify for a commit's bytes and detached metadata;
// md may be nil).
func VerifyData(ctx context.Context, s Signer, data []byte, md object.Metadata) (string, error) {
	return s.Verify(ctx, data, MetadataSignatures(md, s))
}

// SignSummaryKeys signs the summary bytes with each secret key of engine
// s and returns the new summary.sig: oldSig (the current summary.sig, GPG
// signatures included, or nil) with the signatures appended, in normal
// form (ostree_sign_summary).
func SignSummaryKeys(ctx context.Context, s Signer, summary, oldSig []byte, keys []string) ([]byte, error) {
	var md object.Metadata
	if len(oldSig) > 0 {
		var err error
		if md, err = UnmarshalSummarySig(oldSig); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("No keys passed for signing summary")
	}
	for _, k := range keys {
		if err := s.SetSecretKey(k); err != nil {
			return nil, err
		}
		sig, err := s.Sign(ctx, summary)
		if err != nil {
			return nil, err
		}
		md = AppendSignatureAt(md, s.MetadataKey(), sig)
	}
	return object.MarshalMetadata(md)
}

// ErrNoSignaturesFound is VerifyAny's answer when md holds no signature
// of any of the engines.
var ErrNoSignaturesFound = errors.New("No signatures found")

// VerifyAny checks data against md with the engines a remote's
// sign-verify configures (_sign_verify_for_remote): engines without
// signatures in md are skipped, the first that verifies wins. Otherwise
// the error is the first engine's failure, prefixed with how many others
// failed; without any signatures it is ErrNoSignaturesFound.
func VerifyAny(ctx context.Context, verifiers []Signer, data []byte, md object.Metadata) (string, error) {
	var firstErr error
	invalid := 0
	found := false
	for _, s := range verifiers {
		sigs := MetadataSignatures(md, s)
		if sigs == nil {
			continue
		}
		found = true
		msg, err := s.Verify(ctx, data, sigs)
		if err == nil {
			return msg, nil
		}
		invalid++
		if firstErr == nil {
			firstErr = err
		}
	}
	if !found {
		return "", ErrNoSignaturesFound
	}
	if invalid > 1 {
		return "", fmt.Errorf("(%d other invalid signatures): %w", invalid-1, firstErr)
	}
	return "", firstErr
}
