package prepareroot

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/gostree/gostree/internal/gvariant"
)

// Metadata keys a signed composefs boot reads, as libostree names them.
const (
	keySignEd25519      = "ostree.sign.ed25519"           // commitmeta: aay of 64-byte signatures
	keyComposefsDigest  = "ostree.composefs.digest.v0"    // commit metadata: ay, the image's fs-verity digest
	keyBootcImageConfig = "ostree.container.image-config" // commit metadata of a commit bootc made locally
)

// loadKeys reads the Ed25519 public keys of a signed composefs boot: one
// base64 line per 32-byte key, blank lines ignored.
func loadKeys(p string) ([]ed25519.PublicKey, error) {
	b, err := readFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading public key file: %w", err)
	}
	var keys []ed25519.PublicKey
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("public key file %s line %d: not base64: %w", p, i+1, err)
		}
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public key file %s line %d: a key of %d bytes, want %d (Ed25519)", p, i+1, len(k), ed25519.PublicKeySize)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("public key file %s specified, but no public keys found", p)
	}
	return keys, nil
}

// commitObject is a commit as read from the repository: its raw bytes,
// which the signatures cover, its decoded fields and its detached
// metadata (nil when it has none).
type commitObject struct {
	csum     string
	raw      []byte
	fields   []any // (a{sv}aya(say)sstayay)
	detached []any // a{sv}
}

// loadCommit reads commit csum and its .commitmeta straight from the
// repository's objects directory; with missingOK, a missing commit is nil.
func loadCommit(objects, csum string, missingOK bool) (*commitObject, error) {
	base := objects + "/" + csum[:2] + "/" + csum[2:]
	raw, err := readFile(base + ".commit")
	if missingOK && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v, err := gvariant.Unmarshal(gvariant.MustType("(a{sv}aya(say)sstayay)"), raw)
	if err != nil {
		return nil, fmt.Errorf("%s.commit: %w", base, err)
	}
	c := &commitObject{csum: csum, raw: raw, fields: v.([]any)}
	meta, err := readFile(base + ".commitmeta")
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	d, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), meta)
	if err != nil {
		return nil, fmt.Errorf("%s.commitmeta: %w", base, err)
	}
	c.detached = d.([]any)
	return c, nil
}

// metadata is the commit's own a{sv}.
func (c *commitObject) metadata() []any {
	m, _ := c.fields[0].([]any)
	return m
}

// bootcBase is the commit a bootc-imported commit was made from: bootc
// leaves its own commit unsigned and records the signed one as parent.
func (c *commitObject) bootcBase() string {
	if v, ok := gvariant.Lookup(c.metadata(), keyBootcImageConfig); !ok || v.Type.String() != "s" {
		return ""
	}
	parent, _ := c.fields[1].([]byte)
	if len(parent) != 32 {
		return ""
	}
	return hex.EncodeToString(parent)
}

// signedImageDigest checks the signature of the deployment's commit csum,
// as libostree's prepare-root does before it trusts a composefs image, and
// returns the fs-verity digest the commit names for that image.
func signedImageDigest(objects, csum string, keys []ed25519.PublicKey) ([32]byte, error) {
	var digest [32]byte
	c, err := loadCommit(objects, csum, false)
	if err != nil {
		return digest, fmt.Errorf("Error loading signatures from repo: %w", err)
	}
	if c.detached == nil {
		base := c.bootcBase()
		var bc *commitObject
		if base != "" {
			if bc, err = loadCommit(objects, base, true); err != nil {
				return digest, fmt.Errorf("Error loading signatures from repo: %w", err)
			}
		}
		if bc == nil || bc.detached == nil {
			return digest, fmt.Errorf("No commitmeta for commit %s", csum)
		}
		c = bc
	}
	sigs, ok := gvariant.Lookup(c.detached, keySignEd25519)
	if !ok || sigs.Type.String() != "aay" {
		return digest, fmt.Errorf("Signature validation requested, but no signatures in commit %s", c.csum)
	}
	if err := verifyAny(c.raw, sigs.Value.([]any), keys); err != nil {
		return digest, fmt.Errorf("Checking commit signature of %s: %w", c.csum, err)
	}
	d, ok := gvariant.Lookup(c.metadata(), keyComposefsDigest)
	if b, isBytes := d.Value.([]byte); !ok || d.Type.String() != "ay" || !isBytes || len(b) != len(digest) {
		return digest, fmt.Errorf("Signature validation requested, but no valid digest in commit %s", c.csum)
	}
	copy(digest[:], d.Value.([]byte))
	return digest, nil
}

// verifyAny succeeds when one of sigs is a signature of data by one of
// keys. A signature that is not 64 bytes long is an error, as in libostree.
func verifyAny(data []byte, sigs []any, keys []ed25519.PublicKey) error {
	for _, s := range sigs {
		if sig := s.([]byte); len(sig) != ed25519.SignatureSize {
			return fmt.Errorf("signature verification failed: invalid signature length of %d bytes, expected %d", len(sig), ed25519.SignatureSize)
		}
	}
	for _, k := range keys {
		for _, s := range sigs {
			if ed25519.Verify(k, data, s.([]byte)) {
				return nil
			}
		}
	}
	return errors.New("No valid (of " + strconv.Itoa(len(sigs)) + ") signatures found")
}
