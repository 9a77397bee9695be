package cli

import (
	"io"
	"strings"
)

// Version is the libostree release whose behaviour we implement.
const Version = "2025.2"

// features lists what this build really supports; the test suite greps
// it to decide which subtests to run.
var features = []string{"initial-var", "libarchive", "gpgme", "sign-ed25519", "composefs"}

func printVersion(w io.Writer) int {
	var b strings.Builder
	b.WriteString("libostree:\n Version: '" + Version + "'\n Features:\n")
	for _, f := range features {
		b.WriteString("  - " + f + "\n")
	}
	b.WriteString("gostree:\n Version: '" + Version + "'\n")
	// One write: the suite probes this through `grep -q`, which may close
	// the pipe after the first match.
	io.WriteString(w, b.String())
	return 0
}
