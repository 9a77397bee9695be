package admin

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/sysroot"
)

// indexedDeployment returns the deployment at index, with libostree's
// errors for bad indexes.
func indexedDeployment(s *sysroot.Sysroot, arg string) (*sysroot.Deployment, int, error) {
	i, err := strconv.Atoi(arg)
	if err != nil {
		i = 0 // atoi semantics: garbage reads as 0
	}
	if i < 0 {
		return nil, i, fmt.Errorf("Invalid index %d", i)
	}
	if i >= len(s.Deployments) {
		return nil, i, fmt.Errorf("Out of range deployment index %d, expected < %d", i, len(s.Deployments))
	}
	return s.Deployments[i], i, nil
}

// setupAdminUndeploy is `ostree admin undeploy INDEX`.
func setupAdminUndeploy(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(args) < 1 {
			return clikit.Usage("INDEX must be specified")
		}
		// Since 2024 undeploy parses its index strictly (set-default
		// still reads it as atoi does).
		if !wholeNumber(args[0]) {
			return fmt.Errorf("Invalid index: %s", args[0])
		}
		target, idx, err := indexedDeployment(s, args[0])
		if err != nil {
			return err
		}
		if target.Equal(s.Booted) {
			return fmt.Errorf("Cannot undeploy currently booted deployment %d", idx)
		}
		var list []*sysroot.Deployment
		for i, d := range s.Deployments {
			if i != idx {
				list = append(list, d)
			}
		}
		if err := s.WriteDeployments(in.Ctx, list, sysroot.WriteOptions{PostClean: true}); err != nil {
			return err
		}
		fmt.Fprintf(in.Stdout, "Deleted deployment %s\n", target.Name())
		if err := s.Cleanup(in.Ctx, sysroot.CleanupOptions{Prune: true}); err != nil {
			return fmt.Errorf("Performing final cleanup: %w", err)
		}
		return nil
	}
}

// setupAdminCleanup is `ostree admin cleanup`.
func setupAdminCleanup(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		return s.Cleanup(in.Ctx, sysroot.CleanupOptions{Prune: true})
	}
}

// wholeNumber reports whether strtoull would read all of s: optional
// leading space and sign, then digits only (none reads as 0).
func wholeNumber(s string) bool {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return strings.Trim(s, "0123456789") == ""
}
