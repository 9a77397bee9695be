package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/errdefs"
)

// Fixtures from the libostree test suite, when installed.
const gpgHome = "/usr/libexec/installed-tests/libostree/gpghome"

func TestImportKeys(t *testing.T) {
	asc, err := os.ReadFile(filepath.Join(gpgHome, "key1.asc"))
	if err != nil {
		t.Skip("libostree test fixtures not installed")
	}
	ring, err := os.ReadFile(filepath.Join(gpgHome, "pubring.gpg"))
	if err != nil {
		t.Skip("libostree test fixtures not installed")
	}
	ctx := context.Background()
	r := newRepo(t)
	c := load(t, r)
	if err := c.Add(ctx, Fail, "x", "http://x", nil); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		data []byte
		ids  []string
		want int
		err  error
	}{
		{"armored key", asc, nil, 1, nil},
		{"same key again", asc, nil, 0, nil},
		{"unknown key ID", ring, []string{"0123456789ABCDEF"}, 0, errdefs.ErrNotFound},
		{"one more by long key ID", ring, []string{"7FCA23D8472CDAFA", "CA950D41"}, 1, nil},
		{"the rest", ring, nil, 1, nil},
		{"garbage", []byte("not a key"), nil, 0, errdefs.ErrInvalid},
	}
	for _, s := range steps {
		n, err := c.ImportKeys(ctx, "x", s.data, s.ids)
		if !errors.Is(err, s.err) || (s.err == nil && err != nil) || n != s.want {
			t.Errorf("%s: %d, %v; want %d, %v", s.name, n, err, s.want, s.err)
		}
	}
	b, err := os.ReadFile(c.KeyringPath("x"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := splitKeys(b)
	if err != nil || len(keys) != 3 {
		t.Errorf("keyring holds %d keys, %v; want 3", len(keys), err)
	}
	if _, err := c.ImportKeys(ctx, "nope", asc, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("import for a missing remote: %v", err)
	}
	// Deleting the remote deletes its keyring.
	if err := c.Delete(ctx, "x", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.KeyringPath("x")); !os.IsNotExist(err) {
		t.Errorf("keyring left behind: %v", err)
	}
}

func FuzzSplitKeys(f *testing.F) {
	f.Add([]byte{0x99, 0x00, 0x01})
	f.Add([]byte{0xc6, 0x01, 0x04})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := splitKeys(b)
		if err != nil {
			return
		}
		total := 0
		for _, k := range keys {
			total += len(k.packets)
		}
		if total > len(b) {
			t.Fatalf("keys hold %d bytes of %d", total, len(b))
		}
	})
}
