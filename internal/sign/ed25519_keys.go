package sign

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ParseKeysFile splits the contents of a keys file into its keys, one per
// line as GLib's g_data_input_stream_read_line returns them: split at
// '\n' only (a '\r' stays, and the base64 decoder skips it), with no
// empty line after a final newline.
func ParseKeysFile(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			lines = append(lines, strings.TrimSuffix(line, "\n"))
		}
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (s *ed25519Signer) LoadKeysFile(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadFileLocked(path, true)
}

func (s *ed25519Signer) LoadKeysDir(dir string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadDirLocked(context.Background(), dir)
}

// loadFileLocked is _load_pk_from_file: every valid line is added;
// the file counts when at least one was, and otherwise the first line's
// error (or "no valid keys") is the answer.
func (s *ed25519Signer) loadFileLocked(path string, trusted bool) error {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("File object '%s' is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	keys, err := ParseKeysFile(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	added := false
	var firstErr error
	for _, k := range keys {
		if err := s.addLocked(k, trusted); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		added = true
	}
	if added {
		return nil
	}
	if firstErr != nil {
		return firstErr
	}
	return fmt.Errorf("signature: ed25519: no valid keys in file '%s'", path)
}

// loadDirLocked is ostree_sign_ed25519_load_pk with a basedir (or the
// system directories when dir is ""): trusted keys are required,
// revoked ones optional.
func (s *ed25519Signer) loadDirLocked(ctx context.Context, dir string) error {
	bases := s.systemDirs
	if dir != "" {
		bases = []string{dir}
	}
	if err := s.loadWellKnownLocked(ctx, bases, true); err != nil {
		return err
	}
	_ = s.loadWellKnownLocked(ctx, bases, false) // revoked keys are optional
	return nil
}

// loadWellKnownLocked reads BASE/trusted.ed25519 and the files of
// BASE/trusted.ed25519.d (or the revoked ones) for each base, in
// directory order as libostree lists them, skipping what fails to load.
func (s *ed25519Signer) loadWellKnownLocked(ctx context.Context, bases []string, trusted bool) error {
	name := "trusted.ed25519"
	if !trusted {
		name = "revoked.ed25519"
	}
	var files []string
	for _, base := range bases {
		p := filepath.Join(base, name)
		files = append(files, p)
		d, err := os.Open(p + ".d")
		if err != nil {
			continue
		}
		ents, _ := d.ReadDir(-1)
		d.Close()
		for _, e := range ents {
			files = append(files, filepath.Join(p+".d", e.Name()))
		}
	}
	loaded := false
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.loadFileLocked(f, trusted) == nil {
			loaded = true
		}
	}
	if !loaded {
		return errors.New("signature: ed25519: no keys loaded")
	}
	return nil
}
