package repocmd

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/commit"
)

// Checksum sets up `ostree checksum`.
func Checksum(in *clikit.Invocation) func([]string) error {
	var ignoreXattrs bool
	in.Flag("ignore-xattrs", 0, "Don't include xattrs in checksum", &ignoreXattrs)
	return func(args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("A filename must be given")
		}
		c, err := commit.ChecksumPath(in.Ctx, args[0], ignoreXattrs)
		if err != nil {
			return libcErrno(err)
		}
		fmt.Fprintln(in.Stdout, c)
		return nil
	}
}

// libcErrno rewrites the errno text in err's message the way strerror
// spells it ("No such file or directory"), as libostree's messages do
// and scripts grep for; Go spells them in lower case.
func libcErrno(err error) error {
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) {
		return err
	}
	goText := errno.Error()
	if goText == "" {
		return err
	}
	cText := strings.ToUpper(goText[:1]) + goText[1:]
	return errnoError{msg: strings.ReplaceAll(err.Error(), goText, cText), err: err}
}

type errnoError struct {
	msg string
	err error
}

func (e errnoError) Error() string { return e.msg }
func (e errnoError) Unwrap() error { return e.err }
