package sign

import (
	"fmt"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/datetime"
)

// Describe is the text ostree_gpg_verify_result_describe writes for
// signature i, each line starting with linePrefix: what `ostree show`
// prints under "Found N signatures:" (with prefix "  ") and pull reports.
func (r *Result) Describe(i int, linePrefix string) string {
	var b strings.Builder
	r.Signatures[i].describe(&b, linePrefix)
	return b.String()
}

// ShowText is the block `ostree show` prints for a commit's signatures:
// "Found N signature(s):" and, for each, a blank line and its
// description indented by two spaces.
func (r *Result) ShowText() string {
	var b strings.Builder
	n := len(r.Signatures)
	fmt.Fprintf(&b, "Found %d signature%s:\n", n, plural(n))
	for i := range r.Signatures {
		b.WriteByte('\n')
		r.Signatures[i].describe(&b, "  ")
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// describe mirrors ostree_gpg_verify_result_describe_variant.
func (s *Signature) describe(b *strings.Builder, prefix string) {
	keyID := s.KeyID()
	fmt.Fprintf(b, "%sSignature made %s using %s key ID %s\n", prefix, formatLocalTime(s.Timestamp), s.PubkeyAlgo, keyID)
	b.WriteString(prefix)
	switch {
	case s.KeyMissing:
		b.WriteString("Can't check signature: public key not found\n")
	case s.Valid:
		fmt.Fprintf(b, "Good signature from \"%s <%s>\"\n", s.UserName, s.UserEmail)
	case s.KeyRevoked:
		b.WriteString("Key revoked\n")
	case s.SigExpired:
		fmt.Fprintf(b, "Expired signature from \"%s <%s>\"\n", s.UserName, s.UserEmail)
	default:
		fmt.Fprintf(b, "BAD signature from \"%s <%s>\"\n", s.UserName, s.UserEmail)
	}
	if !s.KeyMissing && s.Fingerprint != s.FingerprintPrimary {
		fmt.Fprintf(b, "%sPrimary key ID %s\n", prefix, lastN(s.FingerprintPrimary, 16))
	}
	expiry := func(what string, ts int64, expired bool) {
		verb := "expires"
		if expired {
			verb = "expired"
		}
		fmt.Fprintf(b, "%s%s %s %s\n", prefix, what, verb, formatLocalTime(ts))
	}
	if s.ExpTimestamp > 0 {
		expiry("Signature", s.ExpTimestamp, s.SigExpired)
	}
	if s.KeyExpTimestamp > 0 {
		expiry("Key", s.KeyExpTimestamp, s.KeyExpired)
	}
	if s.KeyExpTimestampPrimary > 0 && s.Fingerprint != s.FingerprintPrimary {
		expiry("Primary key", s.KeyExpTimestampPrimary, s.KeyExpired)
	}
}

// formatLocalTime is how libostree prints signature times: the local
// time in GLib's C-locale "%c".
func formatLocalTime(ts int64) string {
	return datetime.FormatC(time.Unix(ts, 0).Local())
}
