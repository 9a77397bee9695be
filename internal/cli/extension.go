package cli

import (
	"context"
	"errors"
	"io"
	"os/exec"
)

// runExtension runs ostree-NAME from PATH for an unknown command, as
// ostree does for CLI extensions.
func runExtension(ctx context.Context, name string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	p, err := exec.LookPath("ostree-" + name)
	if err != nil {
		return 0, false
	}
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), true
		}
		return 1, true
	}
	return 0, true
}
