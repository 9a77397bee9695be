// Command gostree-prepare-root sets up a deployment's root in the
// initramfs; as gostree-remount or gostree-system-generator it does the
// steps after switch-root. See internal/prepareroot.
package main

import (
	"os"

	"github.com/gostree/gostree/internal/prepareroot"
)

func main() {
	os.Exit(prepareroot.Main(os.Args, os.Stdout, os.Stderr))
}
