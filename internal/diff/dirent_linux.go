package diff

import (
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

type dirent struct {
	name string
	ino  uint64
}

// readDirents lists a directory in readdir order with inode numbers,
// without "." and "..".
func readDirents(path string) ([]dirent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("Error opening directory '%s': %w", path, err)
	}
	defer f.Close()
	var out []dirent
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(int(f.Fd()), buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("Error reading directory '%s': %w", path, err)
		}
		if n <= 0 {
			return out, nil
		}
		for b := buf[:n]; len(b) >= 19; {
			// struct linux_dirent64: ino u64, off s64, reclen u16,
			// type u8, name NUL-terminated.
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return nil, fmt.Errorf("Error reading directory '%s': bad dirent", path)
			}
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if s := string(name); s != "." && s != ".." {
				out = append(out, dirent{name: s, ino: binary.NativeEndian.Uint64(b[0:8])})
			}
			b = b[reclen:]
		}
	}
}
