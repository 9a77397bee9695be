package pull

import (
	"context"
	"fmt"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// commitVerifier is the gpg-verify hook: verify when the caller can,
// otherwise fail with what libostree would say when there are no
// signatures, or say that verification is unsupported.
func commitVerifier(remoteName string, verify func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error) func(context.Context, object.Checksum, []byte, []byte) error {
	return func(ctx context.Context, c object.Checksum, commit, detached []byte) error {
		if verify != nil {
			return verify(ctx, remoteName, c, commit, detached)
		}
		if !hasGPGSignatures(detached) {
			return fmt.Errorf("Commit %s: GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable): %w", c, errdefs.ErrInvalid)
		}
		return unsupportedError(fmt.Sprintf("Commit %s: GPG verification enabled, but signature verification is not supported by this build yet (use gpg-verify=false in remote config to disable)", c))
	}
}

func hasGPGSignatures(detached []byte) bool {
	if detached == nil {
		return false
	}
	md, err := object.UnmarshalMetadata(detached)
	if err != nil {
		return false
	}
	v, ok := md.Lookup("ostree.gpgsigs")
	if !ok {
		return false
	}
	sigs, _ := v.Value.([]any)
	return len(sigs) > 0
}

var errSummaryVerifyUnsupported = unsupportedError("GPG verification of the summary enabled, but signature verification is not supported by this build yet (use gpg-verify-summary=false in remote config to disable)")

// unsupportedError is classified as errdefs.ErrNotSupported without the
// sentinel's text in its message, which the CLI prints as it is.
type unsupportedError string

func (e unsupportedError) Error() string { return string(e) }

// Is classifies the error.
func (e unsupportedError) Is(target error) bool { return target == errdefs.ErrNotSupported }
