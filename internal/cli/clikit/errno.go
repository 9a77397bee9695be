package clikit

import (
	"strings"
	"syscall"
)

// glibcWording maps Go's lowercase errno texts to glibc's strerror()
// wording, which ostree prints and scripts grep for case-sensitively.
var glibcWording = func() *strings.Replacer {
	var pairs []string
	for _, e := range []syscall.Errno{
		syscall.ENOENT, syscall.ENOTDIR, syscall.EEXIST, syscall.EACCES, syscall.EPERM,
		syscall.ERANGE, syscall.EISDIR, syscall.ENOSPC, syscall.EINVAL, syscall.ENOTEMPTY,
		syscall.EROFS, syscall.EXDEV, syscall.ELOOP, syscall.EIO, syscall.ENAMETOOLONG,
		syscall.EBADF, syscall.EBUSY, syscall.EMLINK, syscall.ENOTSUP, syscall.EAGAIN,
	} {
		s := e.Error()
		if s == "" {
			continue
		}
		pairs = append(pairs, s, strings.ToUpper(s[:1])+s[1:])
	}
	return strings.NewReplacer(pairs...)
}()

// glibcErrnoText rewrites errno texts inside an error message the way
// glibc words them.
func glibcErrnoText(s string) string { return glibcWording.Replace(s) }
