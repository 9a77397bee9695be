package admin

import (
	"testing"
	"time"

	"github.com/gostree/gostree/internal/health"
)

func TestHealthLine(t *testing.T) {
	when := time.Date(2026, 12, 7, 7, 40, 0, 0, time.UTC)
	stamp := when.Local().Format("2006-01-02 15:04")
	hung := &health.CheckResult{Name: "20-net.sh", Required: true, TimedOut: true, Timeout: 30 * time.Second, Output: "waiting for dhcp\n"}
	tests := []struct {
		h    deploymentHealth
		want string
	}{
		{deploymentHealth{State: healthGood, When: when, Checks: 1}, "good (" + stamp + ", 1 check)"},
		{deploymentHealth{State: healthGood, When: when, Checks: 3}, "good (" + stamp + ", 3 checks)"},
		{deploymentHealth{State: healthFailed, Reason: "required check 20-net.sh (timed out after 30s, killed)", Failed: hung},
			"failed: required check 20-net.sh (timed out after 30s, killed): waiting for dhcp"},
		{deploymentHealth{State: healthFailed, Reason: "health checks failed"}, "failed: health checks failed"},
		{deploymentHealth{State: healthRolledBack, Reason: "did not finish booting after 3 attempts"}, "rolled back: did not finish booting after 3 attempts"},
	}
	for _, tc := range tests {
		if got := tc.h.line(); got != "    Health: "+tc.want+"\n" {
			t.Errorf("line() = %q, want %q", got, tc.want)
		}
	}
}
