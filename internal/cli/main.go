package cli

import (
	"context"
	"io"

	"github.com/gostree/gostree/internal/cli/clikit"
)

// Main runs the CLI as ostree with args (without the program name) and
// returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return MainAs(ctx, "ostree", args, stdin, stdout, stderr, getenv)
}

// MainAs is Main invoked as prog. As ostree, help is the reference's;
// under any other name (gostree) usage lines say gostree and help also
// lists our own commands and options. Both names run everything.
func MainAs(ctx context.Context, prog string, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return clikit.Run(ctx, rootCommand(), prog, args, stdin, stdout, stderr, getenv, runExtension, printVersion)
}
