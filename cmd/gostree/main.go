// Command gostree is a pure-Go OSTree. Installed or linked as "ostree" it
// answers to the same command line.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gostree/gostree/internal/cli"
	"github.com/gostree/gostree/internal/cli/composefscmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Installed or linked under composefs's tool names, the binary is
	// those tools.
	// Under any other name than ostree, help says gostree and lists our
	// own commands too.
	prog := filepath.Base(os.Args[0])
	run := func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
		return cli.MainAs(ctx, prog, args, stdin, stdout, stderr, getenv)
	}
	switch prog {
	case "mkcomposefs":
		run = composefscmd.MkcomposefsMain
	case "composefs-info":
		run = composefscmd.ComposefsInfoMain
	}
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
