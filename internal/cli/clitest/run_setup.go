package clitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
)

// RunSetup runs one command's setup function on its own, printing its
// error as Main does but without the usage text, and returns stdout,
// stderr and the exit status.
func RunSetup(ctx context.Context, setup func(*clikit.Invocation) func([]string) error, env map[string]string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	in := &clikit.Invocation{Ctx: ctx, Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Path: "ostree cmd",
		Env: func(k string) string { return env[k] }}
	if err := clikit.RunSetup(in, setup, args); err != nil {
		var ee clikit.ExitError
		if errors.As(err, &ee) {
			fmt.Fprintf(&errb, "error: %s\n", ee.Msg)
			return out.String(), errb.String(), ee.Code
		}
		fmt.Fprintf(&errb, "error: %s\n", clikit.ErrorText(err))
		return out.String(), errb.String(), 1
	}
	return out.String(), errb.String(), 0
}
