package repo

import "fmt"

// Mode is how a repository stores content objects.
type Mode int

// Repository modes.
const (
	ModeBare Mode = iota
	ModeBareUser
	ModeBareUserOnly
	ModeArchive
	ModeBareSplitXattrs
)

// ParseMode accepts the names `init --mode` and the config use.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "bare":
		return ModeBare, nil
	case "bare-user":
		return ModeBareUser, nil
	case "bare-user-only":
		return ModeBareUserOnly, nil
	case "archive", "archive-z2":
		return ModeArchive, nil
	case "bare-split-xattrs":
		return ModeBareSplitXattrs, nil
	}
	return 0, fmt.Errorf("invalid mode '%s' in repository configuration", s)
}

// ConfigName is the value written to core.mode.
func (m Mode) ConfigName() string {
	if m == ModeArchive {
		return "archive-z2"
	}
	return m.String()
}

// String names the mode as the CLI does.
func (m Mode) String() string {
	switch m {
	case ModeBare:
		return "bare"
	case ModeBareUser:
		return "bare-user"
	case ModeBareUserOnly:
		return "bare-user-only"
	case ModeArchive:
		return "archive"
	case ModeBareSplitXattrs:
		return "bare-split-xattrs"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// IsArchive reports whether content objects are .filez.
func (m Mode) IsArchive() bool { return m == ModeArchive }
