package sign

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// DefaultGlobalKeyringDir is libostree's built-in trusted keyring
// directory (DATADIR "/ostree/trusted.gpg.d/").
const DefaultGlobalKeyringDir = "/usr/share/ostree/trusted.gpg.d/"

// GlobalKeyringDir is the directory of globally trusted keyrings:
// $OSTREE_GPG_HOME when set, else DefaultGlobalKeyringDir.
func GlobalKeyringDir() string {
	if d := os.Getenv("OSTREE_GPG_HOME"); d != "" {
		return d
	}
	return DefaultGlobalKeyringDir
}

// KeySources says which keys to trust for one verification, the way
// libostree's _ostree_repo_gpg_prepare_verifier assembles them.
type KeySources struct {
	// RemoteKeyrings are the places the remote's keyring
	// (<remote>.trustedkeys.gpg) may be, most specific first: the repo
	// itself, /etc/ostree/remotes.d, then parent repos. The first that
	// exists is used, and then the global keyrings are not.
	RemoteKeyrings []string
	// KeyPaths are the remote's gpgkeypath entries: a directory adds
	// every regular file in it as a key file, anything else is a key
	// file. A missing entry is an error.
	KeyPaths []string
	// AllRemotesDir, when set, adds every keyring file in that directory
	// (the repo, for verification against all remotes' keyrings).
	AllRemotesDir string
	// KeyringDir, when set, adds every keyring file in that directory
	// (`--gpg-homedir` of show and gpg-sign).
	KeyringDir string
	// ExtraKeyring is one more keyring file, ignored when missing.
	ExtraKeyring string
	// Global adds the keyrings of the global directory, unless a remote
	// keyring was found.
	Global bool
	// GlobalDir is the global directory; "" means GlobalKeyringDir().
	GlobalDir string
}

// ForRemote is the set of sources libostree uses to verify data from
// remote name: the remote's keyring in repoPath (or remotesDir, or the
// parent repos), its gpgkeypath entries, and the global keyrings when the
// remote has no keyring file.
func ForRemote(name, repoPath, remotesDir string, parentRepos []string, gpgKeyPath []string) KeySources {
	file := name + ".trustedkeys.gpg"
	src := KeySources{KeyPaths: gpgKeyPath, Global: true}
	src.RemoteKeyrings = append(src.RemoteKeyrings, filepath.Join(repoPath, file))
	if remotesDir != "" {
		src.RemoteKeyrings = append(src.RemoteKeyrings, filepath.Join(remotesDir, file))
	}
	for _, p := range parentRepos {
		src.RemoteKeyrings = append(src.RemoteKeyrings, filepath.Join(p, file))
	}
	return src
}

// LoadKeys reads the keys src names into one keyring. Unreadable key
// data in keyring directories is skipped; missing gpgkeypath entries and
// unreadable directories are errors, worded as libostree's.
func LoadKeys(ctx context.Context, src KeySources) (*Keyring, error) {
	kr := &Keyring{}
	global := src.Global
	if src.AllRemotesDir != "" {
		if err := addKeyringDir(kr, src.AllRemotesDir); err != nil {
			return nil, err
		}
	}
	for _, p := range src.RemoteKeyrings {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		_ = kr.AddData(data) // an empty or broken keyring trusts nothing
		global = false
		break
	}
	for _, p := range src.KeyPaths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := addKeyPath(kr, p); err != nil {
			return nil, err
		}
	}
	if global {
		dir := src.GlobalDir
		if dir == "" {
			dir = GlobalKeyringDir()
		}
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			if err := addKeyringDir(kr, dir); err != nil {
				return nil, fmt.Errorf("Reading keyring directory '%s': %w", dir, err)
			}
		}
	}
	if src.KeyringDir != "" {
		if err := addKeyringDir(kr, src.KeyringDir); err != nil {
			return nil, err
		}
	}
	if src.ExtraKeyring != "" {
		if data, err := os.ReadFile(src.ExtraKeyring); err == nil {
			_ = kr.AddData(data)
		}
	}
	return kr, nil
}

// addKeyringDir adds the keyring files of dir: regular files named
// *.gpg other than trustdb.gpg and secring.gpg.
func addKeyringDir(kr *Keyring, dir string) error {
	ents, err := readDirUnsorted(dir)
	if err != nil {
		return openDirError(dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".gpg") || name == "trustdb.gpg" || name == "secring.gpg" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		_ = kr.AddData(data)
	}
	return nil
}

// addKeyPath adds one gpgkeypath entry.
func addKeyPath(kr *Keyring, p string) error {
	ents, err := readDirUnsorted(p)
	if errors.Is(err, syscall.ENOTDIR) {
		return addKeyFile(kr, p)
	}
	if err != nil {
		return openDirError(p, err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() {
			if err := addKeyFile(kr, filepath.Join(p, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// readDirUnsorted lists a directory in readdir order, as libostree walks
// keyring directories.
func readDirUnsorted(dir string) ([]os.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// addKeyFile imports a key file as gpgme_op_import does: what is not a
// key is ignored.
func addKeyFile(kr *Keyring, p string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("openat(%s): %w", p, pe.Err)
		}
		return err
	}
	_ = kr.AddData(data)
	return nil
}

// openDirError words a directory error as glnx_opendirat does:
// "opendir(PATH): No such file or directory".
func openDirError(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("opendir(%s): %w", p, pe.Err)
	}
	return err
}

// SplitKeyPathList splits a gpgkeypath value as libostree does: entries
// are separated by ';' or ',' (not both), and a trailing separator adds
// no entry. Empty entries elsewhere are kept (and fail to open later).
func SplitKeyPathList(value string) ([]string, error) {
	hasSemi, hasComma := strings.Contains(value, ";"), strings.Contains(value, ",")
	switch {
	case hasSemi && hasComma:
		return nil, errors.New("key value list contains more than one separator")
	case !hasSemi && !hasComma:
		return []string{value}, nil
	}
	sep := ";"
	if hasComma {
		sep = ","
	}
	parts := strings.Split(value, sep)
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts, nil
}
