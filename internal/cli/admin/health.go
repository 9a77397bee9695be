package admin

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/health"
	"github.com/gostree/gostree/internal/sysroot"
)

// HealthCommand is `gostree health`, a gostree extension kept out of
// `ostree --help` so that the help text stays the reference's.
func HealthCommand() *clikit.Command {
	return &clikit.Command{Name: "health", Summary: "Boot health checks (gostree only)", NoRepo: true, Sysroot: true, Own: true, Sub: []*clikit.Command{
		{Name: "run", Summary: "Run the health checks of this boot and act on the result", NoRepo: true, Sysroot: true, Setup: setupHealthRun},
		{Name: "status", Summary: "Show boot counting, the last boot's checks and failed commits", NoRepo: true, Sysroot: true, Setup: setupHealthStatus},
	}}
}

// HealthStatus is `health status --json`.
type healthStatus struct {
	BootCounting *bootCounting         `json:"boot_counting,omitempty"` // absent when it cannot be read
	LastBoot     *health.BootRecord    `json:"last_boot"`
	Failed       []health.FailedCommit `json:"failed_commits"`
}

type bootCounting struct {
	Backend  string `json:"backend"` // "grubenv", "bls" or "" when off
	Armed    bool   `json:"armed"`
	Left     int    `json:"left"`
	FellBack bool   `json:"fell_back"`
}

// setupHealthStatus is `gostree health status`: boot counting, the newest
// boot record (the booted deployment's when there is one) and the failed
// commits of every stateroot with a deployment.
func setupHealthStatus(in *clikit.Invocation) func([]string) error {
	var asJSON bool
	in.Flag("json", 0, "Print the status as JSON", &asJSON)
	return func(args []string) error {
		if len(args) > 0 {
			return clikit.Usage("too many arguments")
		}
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Unlocked: true})
		if err != nil {
			return err
		}
		defer release()
		var st healthStatus
		if bc, err := s.BootCountState(); err == nil {
			st.BootCounting = &bootCounting{bc.Backend, bc.Armed, bc.Left, bc.FellBack}
		}
		seen := map[string]bool{}
		for _, d := range s.Deployments {
			if seen[d.Stateroot] {
				continue
			}
			seen[d.Stateroot] = true
			store := stateRootStore(s, d.Stateroot)
			boots, err := store.Boots()
			if err != nil {
				return err
			}
			for _, b := range boots {
				if st.LastBoot == nil || newerFor(b, st.LastBoot, s.Booted) {
					st.LastBoot = b
				}
			}
			failed, err := store.FailedCommits()
			if err != nil {
				return err
			}
			for _, f := range failed {
				st.Failed = append(st.Failed, f)
			}
		}
		sort.Slice(st.Failed, func(i, j int) bool { return st.Failed[i].When.Before(st.Failed[j].When) })
		if asJSON {
			if st.Failed == nil {
				st.Failed = []health.FailedCommit{}
			}
			enc := json.NewEncoder(in.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		printHealthStatus(in, &st)
		return nil
	}
}

// newerFor prefers a record of the booted deployment, then the newer one.
func newerFor(a, b *health.BootRecord, booted *sysroot.Deployment) bool {
	if booted != nil {
		ab, bb := a.Deployment == booted.Name(), b.Deployment == booted.Name()
		if ab != bb {
			return ab
		}
	}
	return a.Started.After(b.Started)
}

func printHealthStatus(in *clikit.Invocation, st *healthStatus) {
	switch bc := st.BootCounting; {
	case bc == nil:
		in.Printf("Boot counting: unknown\n")
	case bc.Backend == "":
		in.Printf("Boot counting: off\n")
	case bc.FellBack:
		in.Printf("Boot counting: %s, fell back\n", bc.Backend)
	case bc.Armed:
		in.Printf("Boot counting: %s, armed, %d attempts left\n", bc.Backend, bc.Left)
	default:
		in.Printf("Boot counting: %s, not armed\n", bc.Backend)
	}
	if r := st.LastBoot; r == nil {
		in.Printf("Last boot: no health record\n")
	} else {
		in.Printf("Last boot: %s %s %s: %s\n", r.Finished.Local().Format(time.DateTime), r.Stateroot, r.Deployment, r.Result)
		if f := r.FallbackFrom; f != nil {
			in.Printf("  fell back from %s: %s\n", f.Deployment, f.Reason)
		}
		for i := range r.Checks {
			c := &r.Checks[i]
			kind := "wanted"
			if c.Required {
				kind = "required"
			}
			state := "passed"
			if c.Skipped || c.Failed() {
				state = health.Describe(c)
			}
			in.Printf("  %s %s: %s (%s)\n", kind, c.Path, state, c.Duration.Round(time.Millisecond))
			if c.Failed() {
				for _, l := range splitLines(c.Output) {
					in.Printf("    | %s\n", l)
				}
			}
		}
	}
	if len(st.Failed) == 0 {
		in.Printf("Failed commits: none\n")
		return
	}
	in.Printf("Failed commits:\n")
	for _, f := range st.Failed {
		in.Printf("  %s (%s, %s): %s\n", f.Commit, f.Stateroot, f.When.Local().Format(time.DateTime), f.Reason)
	}
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
