package interop2025

import (
	"slices"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli"
)

// TestHelpMatchesReference holds every command that libostree 2025.2
// has (hidden ones included) to its help byte for byte when invoked as
// ostree: --help, and for command groups the errors without or with an
// unknown subcommand. Our own commands are left to TestGostreeHelp.
func TestHelpMatchesReference(t *testing.T) {
	s := getSuite(t)
	matched := 0
	for _, c := range cli.Commands() {
		if c.Own {
			continue
		}
		name := "ostree " + strings.Join(c.Path, " ")
		calls := [][]string{append(slices.Clone(c.Path), "--help")}
		if c.HasSubs {
			calls = append(calls, slices.Clone(c.Path), append(slices.Clone(c.Path), "no-such-subcommand"))
		}
		t.Run(name, func(t *testing.T) {
			for _, args := range calls {
				want := s.run(t, nil, "", ref, args...)
				got := s.run(t, nil, "", ours, args...)
				if got != want {
					t.Errorf("ostree %s:\nreference: %s\nours: %s", strings.Join(args, " "), want, got)
				}
			}
			if !t.Failed() {
				matched++
			}
		})
	}
	t.Logf("%d commands' help matches libostree 2025.2's", matched)
}

// TestGostreeHelp: invoked as gostree, usage lines say gostree and help
// lists our own commands and options, which `ostree` leaves out.
func TestGostreeHelp(t *testing.T) {
	s := getSuite(t)
	for _, c := range cli.Commands() {
		if c.Hidden || len(c.OwnSubs)+len(c.OwnOptions) == 0 && !c.Own {
			continue
		}
		path := strings.Join(c.Path, " ")
		t.Run("gostree "+path, func(t *testing.T) {
			args := append(slices.Clone(c.Path), "--help")
			g := s.run(t, nil, "", gostree, args...)
			o := s.run(t, nil, "", ours, args...)
			if g.code != 0 || o.code != 0 {
				t.Fatalf("gostree: %s\nostree: %s", g, o)
			}
			usage := strings.TrimSpace("gostree " + path)
			if !strings.HasPrefix(g.out, "Usage:\n  "+usage+" [OPTION") {
				t.Errorf("usage does not say %q:\n%s", usage, g.out)
			}
			for _, sub := range c.OwnSubs {
				if !strings.Contains(g.out, "\n  "+sub+" ") {
					t.Errorf("gostree help does not list %s:\n%s", sub, g.out)
				}
				if strings.Contains(o.out, "\n  "+sub+" ") {
					t.Errorf("ostree help lists %s:\n%s", sub, o.out)
				}
			}
			for _, opt := range c.OwnOptions {
				if !strings.Contains(g.out, "  --"+opt) {
					t.Errorf("gostree help does not list --%s:\n%s", opt, g.out)
				}
				if strings.Contains(o.out, "  --"+opt) {
					t.Errorf("ostree help lists --%s:\n%s", opt, o.out)
				}
			}
		})
	}
}
