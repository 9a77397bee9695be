package health

import "time"

// Results of a boot record.
const (
	ResultGood   = "good"
	ResultFailed = "failed"
)

// BootRecord is what one run of the health checks found on one boot.
type BootRecord struct {
	BootID       string        `json:"boot_id"`
	Deployment   string        `json:"deployment"` // CSUM.SERIAL
	Commit       string        `json:"commit"`
	Stateroot    string        `json:"stateroot"`
	Started      time.Time     `json:"started"`
	Finished     time.Time     `json:"finished"`
	Result       string        `json:"result"` // ResultGood or ResultFailed
	Checks       []CheckResult `json:"checks"`
	FallbackFrom *FailedCommit `json:"fallback_from,omitempty"` // set on the boot that detected a fallback
}

// CheckResult is the outcome of one check script.
type CheckResult struct {
	Name       string        `json:"name"`
	Path       string        `json:"path"`
	Required   bool          `json:"required"`
	ExitStatus int           `json:"exit_status"`
	TimedOut   bool          `json:"timed_out,omitempty"`
	Skipped    bool          `json:"skipped,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Timeout    time.Duration `json:"timeout_ns,omitempty"` // the limit it ran under
	Output     string        `json:"output,omitempty"`     // the last lines of stdout+stderr
}

// Failed reports whether the check ran and did not succeed.
func (c *CheckResult) Failed() bool {
	return !c.Skipped && (c.TimedOut || c.ExitStatus != 0)
}

// FailedCommit says why a commit is not to be booted again.
type FailedCommit struct {
	Commit     string       `json:"commit"`
	Deployment string       `json:"deployment"`
	Stateroot  string       `json:"stateroot"`
	When       time.Time    `json:"when"`
	Reason     string       `json:"reason"`
	Check      *CheckResult `json:"check,omitempty"`
}

// FailedCheck returns the first required check that failed, or nil.
func (r *BootRecord) FailedCheck() *CheckResult {
	for i := range r.Checks {
		if c := &r.Checks[i]; c.Required && c.Failed() {
			return c
		}
	}
	return nil
}
