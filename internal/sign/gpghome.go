package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Home is a GnuPG home directory: where signing keys come from
// (`--gpg-homedir`). Secret keys in the GnuPG 1 keyring secring.gpg are
// used in process. Keys only the gpg-agent holds (GnuPG 2.1+
// private-keys-v1.d) or that are protected by a passphrase are left to
// the gpg program, as gpgme would.
type Home struct {
	// Dir is the directory; "" means $GNUPGHOME or ~/.gnupg, as gpgme
	// uses.
	Dir string
	// GPG is the gpg program for the fallback; "" looks "gpg" up in
	// PATH, and "-" disables the fallback.
	GPG string
	// Now is the clock for signature creation times; nil means time.Now.
	Now func() time.Time
}

func (h *Home) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// path is the directory Home reads.
func (h *Home) path() string {
	if h.Dir != "" {
		return h.Dir
	}
	if d := os.Getenv("GNUPGHOME"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".gnupg")
}

// SecretKeys reads secring.gpg; it returns an empty keyring when there is
// none.
func (h *Home) SecretKeys() (*Keyring, error) {
	data, err := os.ReadFile(filepath.Join(h.path(), "secring.gpg"))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(data) == 0) {
		return &Keyring{}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseKeys(data)
}

// PublicKeys reads the public keyring: pubring.gpg, or for a GnuPG 2.1+
// home with only pubring.kbx, what `gpg --export` gives.
func (h *Home) PublicKeys(ctx context.Context) (*Keyring, error) {
	dir := h.path()
	data, err := os.ReadFile(filepath.Join(dir, "pubring.gpg"))
	if err == nil && len(data) > 0 {
		return ParseKeys(data)
	}
	if _, kerr := os.Stat(filepath.Join(dir, "pubring.kbx")); kerr == nil {
		out, err := h.runGPG(ctx, nil, "--export")
		if err != nil {
			return nil, err
		}
		if len(out) == 0 {
			return &Keyring{}, nil
		}
		return ParseKeys(out)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return &Keyring{}, nil
}

// Sign makes a binary detached signature of data with the key keyID
// names (a key ID, fingerprint or user ID of the primary key or a
// subkey), using the key's newest usable signing subkey or its primary
// key, as gpg does.
func (h *Home) Sign(ctx context.Context, keyID string, data []byte) ([]byte, error) {
	sec, err := h.SecretKeys()
	if err != nil {
		return nil, fmt.Errorf("read secret keys of %s: %w", h.path(), err)
	}
	now := h.now()
	var found []*Key
	for _, k := range sec.Find(keyID) {
		if k.HasSecret() {
			found = append(found, k)
		}
	}
	if len(found) > 1 {
		return nil, &AmbiguousKeyError{KeyID: keyID, Homedir: h.Dir}
	}
	if len(found) == 1 {
		if sk := found[0].signingKey(now, true); sk != nil && !sk.Priv.Encrypted {
			h.migrateSecring(ctx)
			return detachSign(sk, data, now)
		}
	}
	// Only gpg-agent's key store or a key we cannot use ourselves is worth
	// starting gpg (and its agent) for.
	_, agentErr := os.Stat(filepath.Join(h.path(), "private-keys-v1.d"))
	if h.gpgProgram() == "" || (agentErr != nil && len(found) == 0) {
		if len(found) == 1 {
			return nil, fmt.Errorf("gpg key %s has no usable secret signing key (homedir: %s)", keyID, homedirText(h.Dir))
		}
		return nil, &KeyNotFoundError{KeyID: keyID, Homedir: h.Dir}
	}
	return h.gpgSign(ctx, keyID, data)
}

// gpgProgram is the gpg to fall back to, or "".
func (h *Home) gpgProgram() string {
	switch h.GPG {
	case "-":
		return ""
	case "":
		p, err := exec.LookPath("gpg")
		if err != nil {
			return ""
		}
		return p
	}
	return h.GPG
}

// gpgSign signs through `gpg --detach-sign`.
func (h *Home) gpgSign(ctx context.Context, keyID string, data []byte) ([]byte, error) {
	out, err := h.runGPG(ctx, data, "--detach-sign", "--local-user", keyID, "--output", "-")
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "No secret key") || strings.Contains(msg, "No public key") || strings.Contains(msg, "skipped") {
			return nil, &KeyNotFoundError{KeyID: keyID, Homedir: h.Dir}
		}
		return nil, err
	}
	pkts, err := splitPackets(out)
	if err != nil || len(pkts) != 1 || pkts[0].tag != tagSignature {
		return nil, fmt.Errorf("gpg --detach-sign did not produce one signature packet")
	}
	return out, nil
}

// runGPG runs gpg in batch mode on the home directory, feeding stdin and
// returning stdout.
func (h *Home) runGPG(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	prog := h.gpgProgram()
	if prog == "" {
		return nil, errors.New("gpg not found")
	}
	full := []string{"--batch", "--no-tty"}
	if h.Dir != "" {
		dir, err := filepath.Abs(h.Dir)
		if err != nil {
			return nil, err
		}
		full = append(full, "--homedir", dir)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, prog, full...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return nil, fmt.Errorf("%s: %s", strings.Join(append([]string{filepath.Base(prog)}, args[:1]...), " "), strings.TrimPrefix(lines[len(lines)-1], "gpg: "))
	}
	return stdout.Bytes(), nil
}

// migrateSecring leaves a GnuPG 1 home (secring.gpg, no
// private-keys-v1.d) as signing through gpgme leaves it: GnuPG 2.1+
// moves the secret keys into its agent store the first time it reads
// them, and later gpg commands in that home (such as --quick-set-expire)
// only find them there. Best effort; signing does not depend on it.
func (h *Home) migrateSecring(ctx context.Context) {
	dir := h.path()
	if _, err := os.Stat(filepath.Join(dir, "private-keys-v1.d")); err == nil {
		return
	}
	if _, err := os.Stat(filepath.Join(dir, ".gpg-v21-migrated")); err == nil {
		return
	}
	prog := h.gpgProgram()
	if prog == "" {
		return
	}
	cmd := exec.CommandContext(ctx, prog, "--homedir", dir, "--batch", "--list-secret-keys")
	_ = cmd.Run()
}
