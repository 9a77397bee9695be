package admin

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/health"
	"github.com/gostree/gostree/internal/sysroot"
)

// Health states of a deployment in `admin status` and `health status`.
const (
	healthGood       = "good"
	healthFailed     = "failed"
	healthRolledBack = "rolled-back"
)

// deploymentHealth is the `health` object of a deployment in
// `admin status --json`: what the newest record says about it, or that
// a fallback rolled it back.
type deploymentHealth struct {
	State  string              `json:"state"` // healthGood, healthFailed or healthRolledBack
	When   time.Time           `json:"when"`
	BootID string              `json:"boot_id,omitempty"`
	Checks int                 `json:"checks"`           // checks that ran
	Reason string              `json:"reason,omitempty"` // why it failed or was rolled back
	Failed *health.CheckResult `json:"failed_check,omitempty"`
}

// stateRootStore is the health store of a stateroot of s.
func stateRootStore(s *sysroot.Sysroot, stateroot string) *health.Store {
	return health.OpenStore(s.Abs(path.Join("ostree/deploy", stateroot, "var")))
}

// healthOf reads what the stateroot's store says about d; nil when it
// says nothing or cannot be read, since status must work regardless.
func healthOf(s *sysroot.Sysroot, d *sysroot.Deployment) *deploymentHealth {
	st := stateRootStore(s, d.Stateroot)
	r, err := st.LastFor(d.Name())
	if err != nil {
		r = nil
	}
	// A rollback stands until a later boot of the same deployment says otherwise.
	if failed, err := st.FailedCommits(); err == nil {
		f, ok := failed[d.Csum]
		if ok && (f.Deployment == "" || f.Deployment == d.Name()) && (r == nil || !r.Finished.After(f.When)) {
			return &deploymentHealth{State: healthRolledBack, When: f.When, Reason: f.Reason, Failed: f.Check}
		}
	}
	if r == nil {
		return nil
	}
	h := &deploymentHealth{State: healthGood, When: r.Finished, BootID: r.BootID}
	for i := range r.Checks {
		if !r.Checks[i].Skipped {
			h.Checks++
		}
	}
	if r.Result != health.ResultGood {
		h.State = healthFailed
		h.Reason = "health checks failed"
		if c := r.FailedCheck(); c != nil {
			h.Failed = c
			h.Reason = fmt.Sprintf("required check %s (%s)", c.Name, health.Describe(c))
		}
	}
	return h
}

// line is the "    Health: ..." line of `admin status`.
func (h *deploymentHealth) line() string {
	var s string
	switch h.State {
	case healthGood:
		plural := "s"
		if h.Checks == 1 {
			plural = ""
		}
		s = fmt.Sprintf("good (%s, %d check%s)", h.When.Local().Format("2006-01-02 15:04"), h.Checks, plural)
	case healthRolledBack:
		s = "rolled back: " + h.Reason
	default:
		s = "failed: " + h.Reason
		if h.Failed != nil {
			if l := lastOutputLine(h.Failed.Output); l != "" {
				s += ": " + l
			}
		}
	}
	return "    Health: " + s + "\n"
}

// lastOutputLine is the last non-blank line of a check's output.
func lastOutputLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}
