package bootloader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gostree/gostree/internal/fsx"
)

// joinLines joins generated config lines with a newline after each, as
// libostree does: an empty first line is dropped, and once one empty line
// has been written every later one is dropped too (libostree never clears
// its "previous line was empty" flag; the outputs must match).
func joinLines(lines []string) string {
	var b strings.Builder
	sawEmpty := false
	for i, l := range lines {
		if l == "" {
			if sawEmpty || i == 0 {
				continue
			}
			sawEmpty = true
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// readUTF8 reads sysroot/rel, following symlinks, and requires UTF-8.
// Errors name rel the way libostree's openat errors do.
func readUTF8(sysroot, rel string) (string, error) {
	b, err := os.ReadFile(filepath.Join(sysroot, rel))
	if err != nil {
		return "", fmt.Errorf("openat(%s): %w", rel, unwrapPath(err))
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("Invalid UTF-8")
	}
	return string(b), nil
}

// unwrapPath drops the *PathError wrapper so messages end in the bare
// errno text ("No such file or directory"), not a second path.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// writeConfigFile replaces sysroot/rel atomically with mode 0644, synced
// before the rename as the boot/loader swap relies on.
func writeConfigFile(sysroot, rel, contents string) error {
	if err := fsx.WriteFileAtomic(filepath.Join(sysroot, rel), []byte(contents), 0o644, true); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	return nil
}

// lexists reports whether path exists, not following a final symlink.
func lexists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}
