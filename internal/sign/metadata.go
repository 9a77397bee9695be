package sign

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// MetadataKey is the key of detached commit metadata and of summary.sig
// that holds GPG signatures: an aay, one binary signature packet each.
const MetadataKey = "ostree.gpgsigs"

var aayType = gvariant.MustType("aay")

// Signatures returns the GPG signatures stored in md, and false when md
// has no ostree.gpgsigs of type aay.
func Signatures(md object.Metadata) ([][]byte, bool) {
	v, ok := md.Lookup(MetadataKey)
	if !ok || v.Type.String() != "aay" {
		return nil, false
	}
	list, ok := v.Value.([]any)
	if !ok {
		return nil, false
	}
	out := make([][]byte, 0, len(list))
	for _, e := range list {
		b, ok := e.([]byte)
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

// sigsValue boxes signatures as the aay variant.
func sigsValue(sigs [][]byte) gvariant.Variant {
	list := make([]any, len(sigs))
	for i, s := range sigs {
		list[i] = s
	}
	return gvariant.Variant{Type: aayType, Value: list}
}

// AppendSignature returns md with sig appended to its ostree.gpgsigs,
// edited as libostree's GVariantDict edits it (so other keys may be
// reordered the way GLib's hash table orders them). md is not modified.
func AppendSignature(md object.Metadata, sig []byte) object.Metadata {
	return AppendSignatureAt(md, MetadataKey, sig)
}

// replaceSignatures returns md with ostree.gpgsigs set to sigs, or
// removed when sigs is empty, edited through a GVariantDict. The result
// is never nil: libostree writes an empty dictionary rather than
// deleting the detached metadata.
func replaceSignatures(md object.Metadata, sigs [][]byte) object.Metadata {
	d := object.NewVarDictFrom(md)
	if len(sigs) == 0 {
		d.Remove(MetadataKey)
	} else {
		d.Insert(MetadataKey, sigsValue(sigs))
	}
	out := d.End()
	if out == nil {
		out = object.Metadata{}
	}
	return out
}

// VerifyMetadata verifies the ostree.gpgsigs of md (a commit's detached
// metadata, or summary.sig) over data. Without signatures it returns
// ErrNoSignatures, as libostree does for commits and summaries alike.
func VerifyMetadata(ctx context.Context, kr *Keyring, data []byte, md object.Metadata, now time.Time) (*Result, error) {
	sigs, ok := Signatures(md)
	if !ok {
		return nil, ErrNoSignatures
	}
	return Verify(ctx, kr, data, bytes.Join(sigs, nil), now)
}

// UnmarshalSummarySig parses a summary.sig file (an a{sv}).
func UnmarshalSummarySig(b []byte) (object.Metadata, error) {
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		return nil, fmt.Errorf("summary.sig: %w: %v", errdefs.ErrCorrupt, err)
	}
	return md, nil
}

// SignSummary signs the summary bytes with each key of keyIDs and
// returns the new summary.sig: oldSig (the current summary.sig, or nil)
// with the signatures appended, in normal form
// (ostree_repo_add_gpg_signature_summary).
func SignSummary(ctx context.Context, h *Home, summary, oldSig []byte, keyIDs []string) ([]byte, error) {
	var md object.Metadata
	if len(oldSig) > 0 {
		var err error
		if md, err = UnmarshalSummarySig(oldSig); err != nil {
			return nil, err
		}
	}
	for _, id := range keyIDs {
		sig, err := h.Sign(ctx, id, summary)
		if err != nil {
			return nil, err
		}
		md = AppendSignature(md, sig)
	}
	return object.MarshalMetadata(md)
}

// AlreadySignedError reports an attempt to sign a commit twice with the
// same key.
type AlreadySignedError struct{ KeyID string }

func (e *AlreadySignedError) Error() string {
	return fmt.Sprintf("Commit is already signed with GPG key %s", e.KeyID)
}

// SignCommit signs the commit object bytes with keyID from the GnuPG home
// h and returns md (the commit's detached metadata, possibly nil) with the
// signature appended (ostree_repo_sign_commit). Like libostree it refuses
// a key that already signed the commit, as far as the keys it can see
// tell: those of the global trusted keyring directory globalDir ("" for
// GlobalKeyringDir()) and the keyring files of h's directory. The caller
// writes the result with repo.WriteDetachedMetadata.
func SignCommit(ctx context.Context, h *Home, globalDir string, commit []byte, md object.Metadata, keyID string) (object.Metadata, error) {
	if sigs, ok := Signatures(md); ok {
		kr, err := LoadKeys(ctx, KeySources{KeyringDir: h.Dir, Global: true, GlobalDir: globalDir})
		if err != nil {
			return nil, err
		}
		res, err := Verify(ctx, kr, commit, bytes.Join(sigs, nil), h.now())
		if err != nil {
			return nil, err
		}
		if _, found := res.Lookup(keyID); found {
			return nil, &AlreadySignedError{KeyID: keyID}
		}
	}
	sig, err := h.Sign(ctx, keyID, commit)
	if err != nil {
		return nil, err
	}
	return AppendSignature(md, sig), nil
}

// DeleteSignatures removes from md the signatures made by the keys that
// keyIDs name, one signature per key ID (the first match, as `ostree
// gpg-sign --delete` does), and returns the new metadata and how many
// signatures went. kr is the keyring that identifies keys: libostree
// uses the verification keyrings of all remotes and the global ones. When
// md has no signatures it is returned unchanged with 0.
func DeleteSignatures(ctx context.Context, kr *Keyring, commit []byte, md object.Metadata, keyIDs []string, now time.Time) (object.Metadata, int, error) {
	sigs, ok := Signatures(md)
	if !ok {
		return md, 0, nil
	}
	res, err := Verify(ctx, kr, commit, bytes.Join(sigs, nil), now)
	if err != nil {
		return nil, 0, err
	}
	if len(res.Signatures) != len(sigs) {
		return nil, 0, fmt.Errorf("commit has %d signature blobs but %d signatures", len(sigs), len(res.Signatures))
	}
	trash := map[int]bool{}
	for _, id := range keyIDs {
		if i, found := res.Lookup(id); found {
			trash[i] = true
		}
	}
	var keep [][]byte
	for i, s := range sigs {
		if !trash[i] {
			keep = append(keep, s)
		}
	}
	return replaceSignatures(md, keep), len(trash), nil
}

// Errors of summary verification, worded as libostree's pull words them.
var (
	ErrNoSummary = &VerifyError{
		Code: ErrNoSignature,
		Msg:  "GPG verification enabled, but no summary found (use gpg-verify-summary=false in remote config to disable)",
	}
	ErrNoSummarySig = &VerifyError{
		Code: ErrNoSignature,
		Msg:  "GPG verification enabled, but no summary.sig found (use gpg-verify-summary=false in remote config to disable)",
	}
)

// VerifySummary checks summary.sig (sig) over the summary bytes against
// kr, as a pull with gpg-verify-summary does: nil summary or sig (files
// that do not exist) fail with ErrNoSummary or ErrNoSummarySig, and
// otherwise at least one signature must be valid.
func VerifySummary(ctx context.Context, kr *Keyring, summary, sig []byte, now time.Time) error {
	if summary == nil {
		return ErrNoSummary
	}
	if sig == nil {
		return ErrNoSummarySig
	}
	md, err := UnmarshalSummarySig(sig)
	if err != nil {
		return err
	}
	res, err := VerifyMetadata(ctx, kr, summary, md, now)
	if err != nil {
		return err
	}
	return res.RequireValid()
}
