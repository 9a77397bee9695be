package sign

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Signature is what verification found out about one signature, with the
// attributes libostree's OstreeGpgVerifyResult exposes (in the order of
// its all_signature_attrs). Timestamps are Unix seconds; 0 means unset.
type Signature struct {
	Valid      bool
	SigExpired bool
	KeyExpired bool
	KeyRevoked bool
	KeyMissing bool
	// Fingerprint of the signing key or subkey; its last 16 digits are
	// the key ID. When the key is missing it is whatever the signature
	// names: the issuer fingerprint or the key ID.
	Fingerprint  string
	Timestamp    int64
	ExpTimestamp int64
	PubkeyAlgo   string
	HashAlgo     string
	// UserName and UserEmail come from the signing key's first user ID.
	UserName, UserEmail string
	// FingerprintPrimary is the fingerprint of the signing key's primary
	// key ("" when the key is missing).
	FingerprintPrimary     string
	KeyExpTimestamp        int64
	KeyExpTimestampPrimary int64

	// Problem says why a signature is not valid (for logs and tests).
	Problem string
}

// KeyID is the last 16 hex digits of the fingerprint.
func (s *Signature) KeyID() string { return lastN(s.Fingerprint, 16) }

func lastN(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Result is the outcome of verifying a set of signatures over one piece
// of data. Signatures are in the order they were stored.
type Result struct {
	Signatures []Signature
	keys       *Keyring
}

// CountValid is the number of valid signatures.
func (r *Result) CountValid() int {
	n := 0
	for _, s := range r.Signatures {
		if s.Valid {
			n++
		}
	}
	return n
}

// Lookup returns the index of the first signature made by the key that
// keyID names, as ostree_gpg_verify_result_lookup does: keyID must name a
// key of the verification keyring, and a signature matches when its
// signing key belongs to the same primary key.
func (r *Result) Lookup(keyID string) (int, bool) {
	if r.keys == nil {
		return 0, false
	}
	want := r.keys.Find(keyID)
	if len(want) == 0 {
		return 0, false
	}
	for i, s := range r.Signatures {
		if s.KeyMissing || s.FingerprintPrimary == "" {
			continue
		}
		if s.FingerprintPrimary == want[0].Fingerprint() {
			return i, true
		}
	}
	return 0, false
}

// ErrorCode classifies a verification failure as OstreeGpgError does.
type ErrorCode int

// Error codes, as OSTREE_GPG_ERROR_*.
const (
	ErrNoSignature ErrorCode = iota
	ErrInvalidSignature
	ErrMissingKey
	ErrExpiredSignature
	ErrExpiredKey
	ErrRevokedKey
)

// VerifyError is a failed verification. Its text is libostree's: the
// description of every signature, last first, or the fixed sentence for
// missing signatures.
type VerifyError struct {
	Code ErrorCode
	Msg  string
}

func (e *VerifyError) Error() string { return e.Msg }

// ErrNoSignatures is returned when there are no GPG signatures to check.
var ErrNoSignatures = &VerifyError{
	Code: ErrNoSignature,
	Msg:  "GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable)",
}

// RequireValid returns nil when at least one signature is valid, and
// otherwise an error describing them
// (ostree_gpg_verify_result_require_valid_signature).
func (r *Result) RequireValid() error {
	if r.CountValid() > 0 {
		return nil
	}
	if len(r.Signatures) == 0 {
		return &VerifyError{Code: ErrNoSignature, Msg: "No GPG signatures found"}
	}
	var b strings.Builder
	code := ErrInvalidSignature
	for i := len(r.Signatures) - 1; i >= 0; i-- {
		s := &r.Signatures[i]
		s.describe(&b, "")
		if i == len(r.Signatures)-1 {
			switch {
			case s.KeyMissing:
				code = ErrMissingKey
			case s.KeyRevoked:
				code = ErrRevokedKey
			case s.KeyExpired:
				code = ErrExpiredKey
			case s.SigExpired:
				code = ErrExpiredSignature
			}
		}
	}
	return &VerifyError{Code: code, Msg: strings.TrimRight(b.String(), " \t\n\r")}
}

// Verify checks sigs, the concatenated binary signature packets, over
// data against the keys of kr at time now. Each signature gets a verdict;
// it is an error only when sigs cannot be parsed at all.
func Verify(ctx context.Context, kr *Keyring, data, sigs []byte, now time.Time) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if kr == nil {
		kr = &Keyring{}
	}
	// gpg gives up on the whole set when any of it is not a readable
	// signature, and gpgme then reports "No data".
	noData := errors.New("GPG: Unable to complete signature verification: GPGME: No data")
	pkts, err := splitPackets(sigs)
	if err != nil || len(pkts) == 0 {
		return nil, noData
	}
	res := &Result{keys: kr}
	for _, p := range pkts {
		if p.tag != tagSignature {
			return nil, noData
		}
		pp, err := packet.Read(bytes.NewReader(p.data))
		if err != nil {
			return nil, noData
		}
		sig, ok := pp.(*packet.Signature)
		if !ok {
			return nil, noData
		}
		res.Signatures = append(res.Signatures, check(kr, sig, data, now))
	}
	return res, nil
}

// check judges one signature.
func check(kr *Keyring, sig *packet.Signature, data []byte, now time.Time) Signature {
	s := Signature{
		Timestamp:  sig.CreationTime.Unix(),
		PubkeyAlgo: pubkeyAlgoName(sig.PubKeyAlgo),
		HashAlgo:   hashAlgoName(sig.Hash),
		UserName:   "[unknown name]",
		UserEmail:  "[unknown email]",
	}
	if sig.SigLifetimeSecs != nil && *sig.SigLifetimeSecs != 0 {
		exp := sig.CreationTime.Add(time.Duration(*sig.SigLifetimeSecs) * time.Second)
		s.ExpTimestamp = exp.Unix()
		s.SigExpired = !now.Before(exp)
	}
	key, sk := kr.issuer(sig)
	if key == nil || !sk.Bound {
		s.KeyMissing = true
		switch {
		case sig.IssuerFingerprint != nil:
			s.Fingerprint = fmt.Sprintf("%X", sig.IssuerFingerprint)
		case sig.IssuerKeyId != nil:
			s.Fingerprint = fmt.Sprintf("%016X", *sig.IssuerKeyId)
		}
		s.Problem = "public key not found"
		return s
	}
	s.Fingerprint = sk.Fingerprint()
	s.FingerprintPrimary = key.Fingerprint()
	for _, u := range key.UIDs {
		if !u.attr {
			s.UserName, s.UserEmail = u.Name, u.Email
			break
		}
	}
	if !sk.Expires.IsZero() {
		s.KeyExpTimestamp = sk.Expires.Unix()
	}
	if !key.Primary.Expires.IsZero() {
		s.KeyExpTimestampPrimary = key.Primary.Expires.Unix()
	}
	s.KeyRevoked = key.Revoked || sk.Revoked
	s.KeyExpired = sk.ExpiredAt(now) || key.Primary.ExpiredAt(now)

	cryptoOK := false
	switch {
	case sig.SigType != packet.SigTypeBinary && sig.SigType != packet.SigTypeText:
		s.Problem = fmt.Sprintf("not a document signature (class 0x%02x)", byte(sig.SigType))
	case !sig.Hash.Available():
		s.Problem = "unsupported digest"
	default:
		h, err := sig.PrepareVerify()
		if err == nil {
			h.Write(data)
			err = sk.Pub.VerifySignature(h, sig)
		}
		if err != nil {
			s.Problem = "bad signature: " + err.Error()
		} else {
			cryptoOK = true
		}
	}
	if !cryptoOK {
		// gpg reports a bad signature (BADSIG) with only the key ID:
		// gpgme then has no time, algorithm or subkey details.
		s.Timestamp, s.ExpTimestamp, s.KeyExpTimestamp = 0, 0, 0
		s.PubkeyAlgo, s.HashAlgo = "[unknown name]", "[unknown name]"
		s.Fingerprint = sk.KeyID()
		s.SigExpired, s.KeyExpired, s.KeyRevoked = false, false, false
		return s
	}
	switch {
	case s.KeyRevoked:
		s.Problem = "key revoked"
	case s.KeyExpired:
		s.Problem = "key expired"
	case s.SigExpired:
		s.Problem = "signature expired"
	default:
		s.Valid = true
	}
	return s
}

// pubkeyAlgoName is gpgme_pubkey_algo_name.
func pubkeyAlgoName(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSAEncryptOnly, packet.PubKeyAlgoRSASignOnly:
		return "RSA"
	case packet.PubKeyAlgoElGamal:
		return "ELG"
	case packet.PubKeyAlgoDSA:
		return "DSA"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoECDH:
		return "ECDH"
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519, packet.PubKeyAlgoEd448:
		return "EdDSA"
	}
	return "[unknown name]"
}

// hashAlgoName is gpgme_hash_algo_name.
func hashAlgoName(h crypto.Hash) string {
	switch h {
	case crypto.MD5:
		return "MD5"
	case crypto.SHA1:
		return "SHA1"
	case crypto.RIPEMD160:
		return "RIPEMD160"
	case crypto.SHA256:
		return "SHA256"
	case crypto.SHA384:
		return "SHA384"
	case crypto.SHA512:
		return "SHA512"
	case crypto.SHA224:
		return "SHA224"
	}
	return "[unknown name]"
}

// IsVerifyError reports whether err is a verification failure with the
// given code.
func IsVerifyError(err error, code ErrorCode) bool {
	var ve *VerifyError
	return errors.As(err, &ve) && ve.Code == code
}
