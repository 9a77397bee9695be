package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/fetch"
)

// The suites read the version from `ostree --version` and expect it in
// the User-Agent of pulls (test-remote-headers.sh).
func TestVersionMatchesUserAgent(t *testing.T) {
	var out bytes.Buffer
	printVersion(&out)
	want := " Version: '" + strings.TrimPrefix(fetch.DefaultUserAgent, "libostree/") + "'\n"
	if !strings.Contains(out.String(), "libostree:\n"+want) {
		t.Fatalf("--version says\n%s\nbut the User-Agent is %s", out.String(), fetch.DefaultUserAgent)
	}
}
