package admin

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/sysroot"
)

// setupAdminPin is `ostree admin pin INDEX...`.
func setupAdminPin(in *clikit.Invocation) func([]string) error {
	var unpin bool
	in.Flag("unpin", 'u', "Unset pin", &unpin)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(args) < 1 {
			return clikit.Usage("INDEX must be specified")
		}
		for _, a := range args {
			n, err := pinIndex(s, a)
			if err != nil {
				return err
			}
			if n >= uint64(len(s.Deployments)) {
				return fmt.Errorf("Out of range deployment index %d, expected < %d", n, len(s.Deployments))
			}
			d := s.Deployments[n]
			want := !unpin
			state := map[bool]string{true: "pinned", false: "unpinned"}
			if d.Pinned() == want {
				fmt.Fprintf(in.Stdout, "Deployment %d is already %s\n", n, state[want])
				continue
			}
			if err := s.SetPinned(d, want); err != nil {
				return err
			}
			fmt.Fprintf(in.Stdout, "Deployment %d is now %s\n", n, state[want])
		}
		return nil
	}
}

// pinIndex reads an `admin pin` argument: an index, or (libostree
// 2025.2) booted, pending or rollback, relative to the booted
// deployment.
func pinIndex(s *sysroot.Sysroot, a string) (uint64, error) {
	switch a {
	case "booted", "pending", "rollback":
		var d *sysroot.Deployment
		if s.Booted != nil {
			pending, rollback := s.Pending("")
			d = map[string]*sysroot.Deployment{"booted": s.Booted, "pending": pending, "rollback": rollback}[a]
		}
		if d == nil {
			return 0, fmt.Errorf("Deployment type not found: %s", a)
		}
		return uint64(d.Index), nil
	}
	n, err := strconv.ParseUint(a, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("Index too large: %s", a)
		}
		return 0, fmt.Errorf("Invalid index: %s", a)
	}
	return n, nil
}

// setupAdminSetOrigin is `ostree admin set-origin REMOTENAME URL [BRANCH]`.
func setupAdminSetOrigin(in *clikit.Invocation) func([]string) error {
	var sets []string
	index := -1
	in.Strings("set", 's', "KEY=VALUE", "Set config option KEY=VALUE for remote", &sets)
	in.Int("index", 0, "INDEX", "Operate on the deployment INDEX, starting from zero", &index)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(args) < 2 {
			return clikit.Usage("REMOTENAME and URL must be specified")
		}
		name, url := args[0], args[1]
		var target *sysroot.Deployment
		if index == -1 {
			if s.Booted == nil {
				return fmt.Errorf("Not currently booted into an OSTree system")
			}
			target = s.Booted
		} else if target, _, err = indexedDeployment(s, strconv.Itoa(index)); err != nil {
			return err
		}
		r, err := s.Repo(in.Ctx)
		if err != nil {
			return err
		}
		var settings []remote.Setting
		for _, kv := range sets {
			k, v, ok := cutKeyValue(kv)
			if !ok {
				return fmt.Errorf("Missing '=' in KEY=VALUE: %s", kv)
			}
			settings = append(settings, remote.Setting{Key: k, Value: v})
		}
		cfg, err := remote.Load(in.Ctx, r)
		if err != nil {
			return err
		}
		if err := cfg.Add(in.Ctx, remote.IfNotExists, name, url, settings); err != nil {
			return err
		}
		old := ""
		if target.Origin != nil {
			old, _ = target.Origin.String("origin", "refspec")
		}
		spec, err := ref.ParseSpec(old)
		if err != nil {
			return err
		}
		branch := spec.Ref
		if len(args) > 2 {
			branch = args[2]
		}
		return s.WriteOrigin(target, keyfileWithRefspec(name+":"+branch))
	}
}

// cutKeyValue splits KEY=VALUE at the first '='.
func cutKeyValue(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

// setupAdminConfigDiff is `ostree admin config-diff`: local changes of
// /etc against its defaults in /usr/etc.
func setupAdminConfigDiff(in *clikit.Invocation) func([]string) error {
	var osname string
	in.String("os", 0, "OSNAME", "Use a different operating system root than the current one", &osname)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true, Unlocked: true})
		if err != nil {
			return err
		}
		defer release()
		if s.Booted == nil && osname == "" {
			return fmt.Errorf("Not currently booted into an OSTree system and no --os= argument given")
		}
		d := s.Booted
		if osname != "" {
			if d = s.MergeDeployment(osname); d == nil {
				return fmt.Errorf("No deployment for OS '%s'", osname)
			}
		}
		ch, err := s.EtcDiff(in.Ctx, d)
		if err != nil {
			return err
		}
		for _, p := range ch.Modified {
			fmt.Fprintf(in.Stdout, "M    %s\n", p)
		}
		for _, p := range ch.Removed {
			fmt.Fprintf(in.Stdout, "D    %s\n", p)
		}
		for _, p := range ch.Added {
			fmt.Fprintf(in.Stdout, "A    %s\n", p)
		}
		return nil
	}
}
