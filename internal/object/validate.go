package object

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Mode bits as in <sys/stat.h>.
const (
	ModeFmt  = 0o170000
	ModeDir  = 0o040000
	ModeReg  = 0o100000
	ModeLink = 0o120000
	ModePerm = 0o7777 // permissions plus setuid, setgid and sticky
)

// ValidateFilename applies libostree's rules for dirtree entry names.
// The messages are libostree's own, capitalized, since scripts grep them.
func ValidateFilename(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("Invalid empty filename")
	case name == ".":
		return fmt.Errorf("Invalid self-referential filename '.'")
	case name == "..":
		return fmt.Errorf("Invalid path uplink filename '..'")
	case strings.IndexByte(name, '/') >= 0:
		return fmt.Errorf("Invalid / in filename %s", name)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("Invalid NUL in filename %q", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("Invalid UTF-8 in filename %s", name)
	}
	return nil
}

func validatePerms(mode uint32) error {
	if mode&^uint32(ModeFmt|ModePerm) != 0 {
		return fmt.Errorf("invalid mode %d; invalid bits in mode", mode)
	}
	return nil
}

// ValidateFileMode checks a content object's mode: a regular file or a
// symlink, with no stray bits.
func ValidateFileMode(mode uint32) error {
	if f := mode & ModeFmt; f != ModeReg && f != ModeLink {
		return fmt.Errorf("invalid file metadata mode %d; not a valid file type", mode)
	}
	return validatePerms(mode)
}

// ValidateDirMode checks a dirmeta's mode.
func ValidateDirMode(mode uint32) error {
	if mode&ModeFmt != ModeDir {
		return fmt.Errorf("invalid directory metadata mode %d; not a directory", mode)
	}
	return validatePerms(mode)
}
