package membudget

import (
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	c, err := Explain(conf{"core.memory-budget": "24MB"})
	if err != nil || c != (Choice{Budget: 24 << 20, Source: SourceConfig}) {
		t.Errorf("configured: got %+v, %v", c, err)
	}
	if s := c.String(); s != "24.0 MiB (core.memory-budget)" {
		t.Errorf("configured: described as %q", s)
	}
	if _, err := Explain(conf{"core.memory-budget": "lots"}); err == nil {
		t.Error("an invalid core.memory-budget was explained")
	}
	// Unset, the choice is Auto's, whatever this machine's cgroup says.
	for _, cfg := range []Config{conf{}, nil} {
		c, err := Explain(cfg)
		if err != nil || c.Budget != Auto() || (c.Source != SourceCgroup && c.Source != SourceDefault) {
			t.Errorf("unset: got %+v, %v; want Auto() %d from the cgroup or the default", c, err, Auto())
		}
	}
}

func TestChoiceFromLimit(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		ok    bool
		want  Choice
		text  string
	}{
		{0, false, Choice{Budget: Default, Source: SourceDefault}, "40.0 MiB (default: no core.memory-budget, no cgroup memory limit)"},
		{256 << 20, true, Choice{Budget: 64 << 20, Source: SourceCgroup, Limit: 256 << 20}, "64.0 MiB (a quarter of the cgroup memory limit 256.0 MiB)"},
		{64 << 20, true, Choice{Budget: 16 << 20, Source: SourceCgroup, Limit: 64 << 20}, "16.0 MiB (a quarter of the cgroup memory limit 64.0 MiB)"},
		{48 << 20, true, Choice{Budget: Min, Source: SourceCgroup, Limit: 48 << 20}, "16.0 MiB (the minimum; the cgroup memory limit is 48.0 MiB)"},
	} {
		c := choiceFromLimit(tc.limit, tc.ok)
		if c != tc.want {
			t.Errorf("limit %d (%v): got %+v, want %+v", tc.limit, tc.ok, c, tc.want)
		}
		if c.Budget != fromLimit(tc.limit, tc.ok) {
			t.Errorf("limit %d (%v): budget %d, fromLimit says %d", tc.limit, tc.ok, c.Budget, fromLimit(tc.limit, tc.ok))
		}
		if s := c.String(); s != tc.text || !strings.HasPrefix(s, mib(c.Budget)) {
			t.Errorf("limit %d (%v): described as %q, want %q", tc.limit, tc.ok, s, tc.text)
		}
	}
}
