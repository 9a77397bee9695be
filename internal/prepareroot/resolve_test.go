package prepareroot

import (
	"regexp"
	"strings"
	"testing"
)

// deployRelRE is the pattern parseDeployRel implements by hand.
var deployRelRE = regexp.MustCompile(`^ostree/deploy/([^/]+)/deploy/([0-9a-f]{64}\.[0-9]+)$`)

// checkDeployRel fails unless parseDeployRel agrees with deployRelRE on rel.
func checkDeployRel(t *testing.T, rel string) {
	t.Helper()
	stateroot, name, ok := parseDeployRel(rel)
	m := deployRelRE.FindStringSubmatch(rel)
	if ok != (m != nil) {
		t.Fatalf("parseDeployRel(%q) ok=%v, the pattern matches: %v", rel, ok, m != nil)
	}
	if ok && (stateroot != m[1] || name != m[2]) {
		t.Fatalf("parseDeployRel(%q) = %q, %q, want %q, %q", rel, stateroot, name, m[1], m[2])
	}
}

var deployRelCases = []string{
	"ostree/deploy/os/deploy/" + testCsum + ".0",
	"ostree/deploy/os/deploy/" + testCsum + ".12",
	"ostree/deploy/a b\n\xff/deploy/" + testCsum + ".3",
	"ostree/deploy/os/deploy/" + testCsum,
	"ostree/deploy/os/deploy/" + testCsum + ".",
	"ostree/deploy/os/deploy/" + testCsum + ".0x",
	"ostree/deploy/os/deploy/" + testCsum + ".0.1",
	"ostree/deploy/os/deploy/" + testCsum + ".0/",
	"ostree/deploy/os/deploy/" + testCsum[1:] + ".0",
	"ostree/deploy/os/deploy/" + testCsum + "0.0",
	"ostree/deploy/os/deploy/" + strings.ToUpper(testCsum) + ".0",
	"ostree/deploy//deploy/" + testCsum + ".0",
	"ostree/deploy/os/x/deploy/" + testCsum + ".0",
	"ostree/deploy/os/deployx/" + testCsum + ".0",
	"/ostree/deploy/os/deploy/" + testCsum + ".0",
	"ostree/deploy/os",
	"ostree/deploy/os/var",
	"ostree/deploy/",
	"",
}

func TestParseDeployRel(t *testing.T) {
	for _, rel := range deployRelCases {
		checkDeployRel(t, rel)
	}
}

func FuzzParseDeployRel(f *testing.F) {
	for _, rel := range deployRelCases {
		f.Add(rel)
	}
	f.Fuzz(checkDeployRel)
}
