package cli

import (
	"context"
	"errors"
	"io"
	"os/exec"
)

// runExtension runs ostree-NAME from PATH for an unknown command, as
// ostree does for CLI extensions. Like ostree, which execs the extension
// with its own argv minus the program name, the extension receives all of
// args, the command name included. PATH entries may be relative, as GLib's
// g_find_program_in_path allows.
func runExtension(ctx context.Context, name string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	p, err := exec.LookPath("ostree-" + name)
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return 0, false
	}
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Err = nil // a relative PATH entry is deliberate here
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
