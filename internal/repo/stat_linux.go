package repo

import (
	"io/fs"
	"syscall"
)

// statOwner returns uid, gid and the raw st_mode of a lstat result.
func statOwner(st fs.FileInfo) (uid, gid, mode uint32) {
	s := st.Sys().(*syscall.Stat_t)
	return s.Uid, s.Gid, s.Mode
}
