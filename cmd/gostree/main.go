// Command gostree is a pure-Go OSTree. Installed or linked as "ostree" it
// answers to the same command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gostree/gostree/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
