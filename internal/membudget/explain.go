package membudget

import (
	"fmt"
	"sync"
)

// Where a budget came from.
const (
	SourceConfig  = "config"  // core.memory-budget
	SourceCgroup  = "cgroup"  // a quarter of the cgroup's memory limit
	SourceDefault = "default" // no configuration, no limit: Default
)

// Choice is a budget and where it came from.
type Choice struct {
	Budget int64
	Source string // SourceConfig, SourceCgroup or SourceDefault
	// Limit is the cgroup memory limit the budget derives from
	// (SourceCgroup only).
	Limit int64
}

// String describes the choice for a person, e.g. "16.0 MiB (a quarter
// of the cgroup memory limit 64.0 MiB)".
func (c Choice) String() string {
	switch c.Source {
	case SourceConfig:
		return fmt.Sprintf("%s (core.%s)", mib(c.Budget), ConfigKey)
	case SourceCgroup:
		if c.Budget == Min && c.Limit/4 < Min {
			return fmt.Sprintf("%s (the minimum; the cgroup memory limit is %s)", mib(c.Budget), mib(c.Limit))
		}
		return fmt.Sprintf("%s (a quarter of the cgroup memory limit %s)", mib(c.Budget), mib(c.Limit))
	}
	return fmt.Sprintf("%s (default: no core.%s, no cgroup memory limit)", mib(c.Budget), ConfigKey)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Explain returns the budget FromConfig returns and where it came from.
func Explain(c Config) (Choice, error) {
	if c != nil {
		if _, ok := c.String("core", ConfigKey); ok {
			b, err := FromConfig(c)
			if err != nil {
				return Choice{}, err
			}
			return Choice{Budget: b, Source: SourceConfig}, nil
		}
	}
	return autoChoice(), nil
}

// cgroupLimit is the process's cgroup memory limit, read once.
var cgroupLimit = sync.OnceValues(func() (int64, bool) {
	return CgroupLimit("/proc/self/cgroup", "/proc/self/mountinfo")
})

func autoChoice() Choice { return choiceFromLimit(cgroupLimit()) }

func choiceFromLimit(limit int64, ok bool) Choice {
	if !ok {
		return Choice{Budget: Default, Source: SourceDefault}
	}
	return Choice{Budget: fromLimit(limit, ok), Source: SourceCgroup, Limit: limit}
}
