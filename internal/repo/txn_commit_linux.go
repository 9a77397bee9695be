package repo

import (
	"io/fs"
	"syscall"
)

func statDev(st fs.FileInfo) uint64 { return uint64(st.Sys().(*syscall.Stat_t).Dev) }
