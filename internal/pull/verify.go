package pull

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/summary"
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

// signapiUnset marks an unset remote option: keyfile values hold no NUL.
const signapiUnset = "\x00"

// signapiVerifiers reads sign-verify or sign-verify-summary (key) of
// remote name as libostree's verifiers_from_config does: unset, empty or
// false gives no verifiers; true gives every engine, with the keys the
// remote configures if any; a list names the engines, each of which
// must have keys configured.
func signapiVerifiers(cfg *remote.Config, name, key string) ([]sign.Signer, error) {
	v, err := cfg.Option(name, key, "")
	if err != nil {
		return nil, err
	}
	var names []string
	required := true
	switch v {
	case "", "false", "0":
		return nil, nil
	case "true", "1":
		names, required = sign.Names(), false
	default:
		if names, err = cfg.ListOption(name, key); err != nil {
			return nil, err
		}
	}
	out := make([]sign.Signer, 0, len(names))
	for _, n := range names {
		s, err := sign.Get(n)
		if err != nil {
			return nil, err
		}
		if err := loadSignapiKeys(s, cfg, name, required); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// loadSignapiKeys loads the public keys that remote name configures for
// engine s (_signapi_load_public_keys): the keys file
// verification-<type>-file, then the inline verification-<type>-key.
func loadSignapiKeys(s sign.Signer, cfg *remote.Config, name string, required bool) error {
	file, err := cfg.Option(name, "verification-"+s.Name()+"-file", signapiUnset)
	if err != nil {
		return err
	}
	inline, err := cfg.Option(name, "verification-"+s.Name()+"-key", signapiUnset)
	if err != nil {
		return err
	}
	if file == signapiUnset && inline == signapiUnset {
		if required {
			return fmt.Errorf("No keys found for required signapi type %s", s.Name())
		}
		return nil
	}
	if file != signapiUnset {
		if err := s.LoadKeysFile(file); err != nil {
			// libostree's text, unbalanced quote included.
			return fmt.Errorf("Failed loading '%s' keys from '%s", s.Name(), file)
		}
	}
	if inline != signapiUnset {
		if err := s.AddPublicKey(inline); err != nil {
			return fmt.Errorf("Failed loading '%s' keys from inline `verification-key`", s.Name())
		}
	}
	return nil
}

// initSignapi sets up the remote's signapi verification: which checks
// are on, and the default hooks (the remote's own keys) for those the
// caller did not supply.
func (ep *endpoint) initSignapi(opts *RemoteOptions) error {
	commitVerifiers, err := signapiVerifiers(ep.cfg, ep.name, "sign-verify")
	if err != nil {
		return err
	}
	summaryVerifiers, err := signapiVerifiers(ep.cfg, ep.name, "sign-verify-summary")
	if err != nil {
		return err
	}
	ep.signVerify, ep.signVerifySummary = commitVerifiers != nil, summaryVerifiers != nil
	if ep.signVerify && opts.SignVerifyCommit == nil {
		opts.SignVerifyCommit = signapiCommitVerifier(commitVerifiers)
	}
	if ep.signVerifySummary && opts.SignVerifySummary == nil {
		opts.SignVerifySummary = signapiSummaryVerifier(summaryVerifiers)
	}
	return nil
}

// signapiCommitVerifier checks a commit before it is written
// (_verify_unwritten_commit): one of the engines must verify a signature
// in its detached metadata.
func signapiCommitVerifier(verifiers []sign.Signer) func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error {
	return func(ctx context.Context, _ string, c object.Checksum, commit, detached []byte) error {
		if detached == nil {
			return fmt.Errorf("Can't verify commit without detached metadata: %w", errdefs.ErrInvalid)
		}
		if _, err := sign.VerifyAny(ctx, verifiers, commit, lenientMetadata(detached)); err != nil {
			return fmt.Errorf("Can't verify commit: %w", err)
		}
		return nil
	}
}

// signapiSummaryVerifier checks summary.sig over the summary bytes.
func signapiSummaryVerifier(verifiers []sign.Signer) func(ctx context.Context, remote string, summary, sig []byte) error {
	return func(ctx context.Context, _ string, summary, sig []byte) error {
		_, err := sign.VerifyAny(ctx, verifiers, summary, lenientMetadata(sig))
		return err
	}
}

// lenientMetadata parses an a{sv} as GLib reads untrusted bytes: what
// does not parse holds no entries.
func lenientMetadata(b []byte) object.Metadata {
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		return nil
	}
	return md
}

// checkFetchedSummary is the signapi half of _ostree_repo_verify_summary,
// for FetchSummary (`remote summary`, `remote refs`): with
// sign-verify-summary both files must exist and one signature verify.
func (ep *endpoint) checkFetchedSummary(ctx context.Context, opts *RemoteOptions, summary, sig []byte) error {
	if !ep.signVerifySummary {
		return nil
	}
	if summary == nil {
		return fmt.Errorf("Signature verification enabled, but no summary found (check that the configured URL in remote config is correct): %w", errdefs.ErrNotFound)
	}
	if sig == nil {
		return fmt.Errorf("Signature verification enabled, but no summary signatures found (use sign-verify-summary=false in remote config to disable): %w", errdefs.ErrNotFound)
	}
	return opts.SignVerifySummary(ctx, ep.name, summary, sig)
}

// verifyPulledSummary checks the summary a pull loaded
// (gpg-verify-summary, sign-verify-summary) as libostree's pull does: a
// summary from the cache that fails is downloaded again, without cache
// validators, and checked once more (the test suite's
// OSTREE_REPO_TEST_ERROR=invalid-cache makes that an error instead).
// Only a verified summary goes into the cache.
func (ep *endpoint) verifyPulledSummary(ctx context.Context, opts *RemoteOptions, remoteName string, sum *loadedSummary) error {
	check := func() error {
		if sum.data != nil && ep.gpgVerifySummary {
			if opts.GPGVerifySummary == nil {
				return errSummaryVerifyUnsupported
			}
			if err := opts.GPGVerifySummary(ctx, remoteName, sum.data, sum.sig); err != nil {
				return err
			}
		}
		if ep.signVerifySummary {
			if sum.sig == nil {
				return errors.New("Signatures verification enabled, but no summary.sig found (use sign-verify-summary=false in remote config to disable)")
			}
			if sum.data != nil {
				return opts.SignVerifySummary(ctx, remoteName, sum.data, sum.sig)
			}
		}
		return nil
	}
	err := check()
	if err != nil && sum.cached && sum.cacheWith != nil {
		if testErrorSet("invalid-cache") {
			return fmt.Errorf("Remote %s cached summary invalid and OSTREE_REPO_TEST_ERROR_INVALID_CACHE specified", ep.name)
		}
		if err := ep.refetchSummary(ctx, sum); err != nil {
			return err
		}
		err = check()
	}
	if err != nil || sum.store == nil {
		return err
	}
	return sum.store()
}

// refetchSummary downloads the summary again, ignoring the cache.
func (ep *endpoint) refetchSummary(ctx context.Context, sum *loadedSummary) error {
	b, err := ep.client.Fetch(ctx, &fetch.Request{Mirrors: ep.meta, Path: "summary", MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
	if err != nil {
		return err
	}
	defer b.Close()
	data, err := b.Bytes()
	if err != nil {
		return err
	}
	parsed, err := summary.Unmarshal(data)
	if err != nil {
		return fmt.Errorf("Not normal form: %w", err)
	}
	file := cachedFile{data: data, etag: b.ETag, modified: b.LastModified}
	sum.data, sum.parsed, sum.cached = data, parsed, false
	sum.store = func() error { return sum.cacheWith(file) }
	return nil
}

// testErrorSet reports whether $OSTREE_REPO_TEST_ERROR names flag, read
// as libostree reads it (g_parse_debug_string).
func testErrorSet(flag string) bool {
	for _, f := range strings.FieldsFunc(os.Getenv("OSTREE_REPO_TEST_ERROR"), func(r rune) bool { return strings.ContainsRune(":;, \t", r) }) {
		if f == flag || f == "all" {
			return true
		}
	}
	return false
}
