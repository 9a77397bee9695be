package sign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/fsx"
)

// RemoteKeyringPath is the keyring of trusted keys for a remote:
// REPO/<remote>.trustedkeys.gpg.
func RemoteKeyringPath(repoPath, remote string) string {
	return filepath.Join(repoPath, remote+".trustedkeys.gpg")
}

// ImportError is a failed import, worded as libostree words gpgme's
// errors ("Unable to find key ...: GPGME: End of file"). Callers print it
// after a "GPG: " prefix, as `ostree remote gpg-import` does.
type ImportError struct{ Msg string }

func (e *ImportError) Error() string { return e.Msg }

// ImportKeys imports the OpenPGP keys read from keyData (binary or
// ASCII-armored, any number of blocks) into the trusted keyring of remote
// in the repository at repoPath, like ostree_repo_remote_gpg_import: only
// the keys keyIDs name when it is non-empty (each must be found), else
// all of them. Keys already in the keyring are merged (new signatures,
// user IDs and subkeys, such as a revocation, are added) but not counted:
// the result is the number of new keys. The keyring is written as gpg
// writes keyrings. The caller checks that the remote exists.
func ImportKeys(ctx context.Context, repoPath, remote string, keyData io.Reader, keyIDs []string) (int, error) {
	return ImportKeysToFile(ctx, RemoteKeyringPath(repoPath, remote), keyData, keyIDs)
}

// ImportKeysToFile is ImportKeys for an explicit keyring file.
func ImportKeysToFile(ctx context.Context, keyringPath string, keyData io.Reader, keyIDs []string) (int, error) {
	data, err := io.ReadAll(keyData)
	if err != nil {
		return 0, err
	}
	src := &Keyring{}
	if len(strings.TrimSpace(string(data))) > 0 {
		_ = src.AddData(data) // like gpg, import what can be imported
	}
	var selected []*Key
	if len(keyIDs) > 0 {
		for _, id := range keyIDs {
			found := src.Find(id)
			if len(found) == 0 {
				return 0, &ImportError{Msg: fmt.Sprintf("Unable to find key \"%s\": GPGME: End of file", id)}
			}
			selected = append(selected, found[0])
		}
	} else {
		selected = src.Keys
	}
	if len(selected) == 0 {
		return 0, &ImportError{Msg: "Unable to export keys: GPGME: No data"}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}

	dst := &Keyring{}
	old, err := os.ReadFile(keyringPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return 0, fmt.Errorf("Unable to copy remote's keyring: %w", err)
	case len(old) > 0:
		if err := dst.AddData(old); err != nil {
			return 0, fmt.Errorf("read keyring %s: %w", keyringPath, err)
		}
	}
	n := 0
	for _, k := range selected {
		if dst.Add(k) {
			n++
		}
	}
	if err := fsx.WriteFileAtomic(keyringPath, dst.Marshal(), 0o644, true); err != nil {
		return 0, err
	}
	return n, nil
}
