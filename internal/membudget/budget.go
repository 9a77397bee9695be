package membudget

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

const (
	// Default is the budget without a configured size or cgroup limit:
	// about what libostree needs to apply a delta of 32 MiB parts.
	Default int64 = 40 << 20
	// Min is the smallest budget a cgroup limit yields.
	Min int64 = 16 << 20
	// ConfigKey is the key of the repository config's [core] group that
	// sets the budget.
	ConfigKey = "memory-budget"
)

// Config reads configuration values; *keyfile.File implements it.
type Config interface {
	String(group, key string) (string, bool)
}

// FromConfig returns the budget core.memory-budget sets, or Auto's.
func FromConfig(c Config) (int64, error) {
	if c != nil {
		if s, ok := c.String("core", ConfigKey); ok {
			n, err := ParseSize(s)
			if err != nil {
				return 0, fmt.Errorf("invalid core.%s %q: %w", ConfigKey, s, err)
			}
			return n, nil
		}
	}
	return Auto(), nil
}

// Auto is the budget without configuration: a quarter of the cgroup's
// memory limit (the rest is left to the page cache, which the limit
// also counts, and to whatever shares the cgroup), or Default.
func Auto() int64 { return autoChoice().Budget }

func fromLimit(limit int64, ok bool) int64 {
	if !ok {
		return Default
	}
	return max(limit/4, Min)
}

// ParseSize parses a byte count with an optional binary unit: "65536",
// "64K", "48M", "48MB", "1G", "1GiB".
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mult = 1 << (10 * (i + 1))
			t = t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("expected a positive size such as 64MB")
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %s is too large", s)
	}
	return n * mult, nil
}

// SetGoLimit sets the Go runtime's soft memory limit to the budget
// unless one is already set (GOMEMLIMIT, or a command's own), and the
// collector's target to 50 % growth unless GOGC is set. By default the
// collector lets the heap grow to twice what is live before it runs, and
// that slack is part of the peak RSS: the walks of large trees hold a
// few tens of MiB that would otherwise take as much again in garbage.
// With the limit it collects earlier still once the heap nears the
// budget. It is a soft limit, so work whose live data exceeds the budget
// still completes, with more collections.
func SetGoLimit(budget int64) {
	if budget <= 0 {
		return
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") != "" || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return
	}
	debug.SetMemoryLimit(budget)
}

// gcPercent is the collector's target heap growth under a budget.
const gcPercent = 50

// LimitGo sets the Go soft memory limit (SetGoLimit) to the budget of a
// repository's config. An invalid core.memory-budget counts as unset
// here; the operations that size work by the budget report it.
func LimitGo(c Config) {
	b, err := FromConfig(c)
	if err != nil {
		b = Auto()
	}
	SetGoLimit(b)
}
