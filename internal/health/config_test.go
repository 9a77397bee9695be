package health

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Config
	}{
		{"empty", "", Config{Timeout: DefaultTimeout, Timeouts: map[string]time.Duration{}}},
		{"greenboot default file", `
### This file is sourced by greenboot
# GREENBOOT_MAX_BOOT_ATTEMPTS=3
GREENBOOT_MAX_BOOT_ATTEMPTS=5
DISABLED_HEALTHCHECKS=()
`, Config{MaxBootAttempts: 5, Timeout: DefaultTimeout, Timeouts: map[string]time.Duration{}}},
		{"quotes, export, arrays over lines", `
export GREENBOOT_MAX_BOOT_ATTEMPTS="2"   # two tries
DISABLED_HEALTHCHECKS=( "01_repository_dns_check.sh" '02 watchdog.sh'
   plain.sh # comment inside
)
GREENBOOT_CHECK_TIMEOUT='60'
GREENBOOT_CHECK_TIMEOUT_10_slow_sh=900
`, Config{MaxBootAttempts: 2, Disabled: []string{"01_repository_dns_check.sh", "02 watchdog.sh", "plain.sh"},
			Timeout: time.Minute, Timeouts: map[string]time.Duration{"10_slow_sh": 900 * time.Second}}},
		{"bad values warn and keep defaults", `
GREENBOOT_MAX_BOOT_ATTEMPTS=three
GREENBOOT_CHECK_TIMEOUT=-5
echo not an assignment
`, Config{Timeout: DefaultTimeout, Timeouts: map[string]time.Duration{}, Warnings: []string{
			`line 2: GREENBOOT_MAX_BOOT_ATTEMPTS="three": not a positive number`,
			`line 3: GREENBOOT_CHECK_TIMEOUT="-5": not a positive number of seconds`,
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, ParseConfig([]byte(tc.in))); d != "" {
				t.Fatalf("ParseConfig (-want +got):\n%s", d)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	root := t.TempDir()
	c, err := LoadConfig(root)
	if err != nil || c.Timeout != DefaultTimeout || c.MaxBootAttempts != 0 {
		t.Fatalf("missing file: %+v, %v", c, err)
	}
	p := filepath.Join(root, ConfigPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("GREENBOOT_MAX_BOOT_ATTEMPTS=4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadConfig(root); err != nil || c.MaxBootAttempts != 4 {
		t.Fatalf("LoadConfig = %+v, %v", c, err)
	}
}

func TestTimeoutKey(t *testing.T) {
	if got := TimeoutKey("10-slow.check.sh"); got != "10_slow_check_sh" {
		t.Fatalf("TimeoutKey = %q", got)
	}
}

// The shipped example parses, and means what its comments say once its
// assignments are uncommented.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../dist/greenboot/greenboot.conf")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ParseConfig(nil), ParseConfig(data)); d != "" {
		t.Fatalf("commented example is not the defaults:\n%s", d)
	}
	var on []byte
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(l, "#") && strings.Contains(l, "=") && !strings.HasPrefix(l, "# ") {
			l = l[1:]
		}
		on = append(on, l...)
	}
	want := Config{MaxBootAttempts: 3, Disabled: []string{"01_repository_dns_check.sh"}, Timeout: 300 * time.Second,
		Timeouts: map[string]time.Duration{TimeoutKey("20-network.sh"): time.Minute}}
	if d := cmp.Diff(want, ParseConfig(on)); d != "" {
		t.Fatalf("uncommented example (-want +got):\n%s", d)
	}
}
