package admin

import (
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
)

// Command is `ostree admin` with its subcommands.
func Command() *clikit.Command {
	sub := func(name string, setup func(*clikit.Invocation) func([]string) error, summary, usage string) *clikit.Command {
		return &clikit.Command{Name: name, Summary: summary, Usage: usage, NoRepo: true, Sysroot: true, Setup: setup}
	}
	hidden := func(c *clikit.Command) *clikit.Command { c.Hidden = true; return c }
	own := func(c *clikit.Command) *clikit.Command { c.Own = true; return c }
	service := func(c *clikit.Command) *clikit.Command { c.Hidden, c.BootedOnly = true, true; return c }
	return &clikit.Command{Name: "admin", Summary: "Commands for managing a host system booted with ostree", Usage: "--print-current-dir|COMMAND", NoRepo: true, Sysroot: true, ColWidth: 18, Sub: []*clikit.Command{
		sub("cleanup", setupAdminCleanup, "Delete untagged deployments and repository objects", ""),
		sub("config-diff", setupAdminConfigDiff, "Diff current /etc configuration versus default", ""),
		sub("deploy", setupAdminDeploy, "Checkout revision REFSPEC as the new default deployment", "REFSPEC"),
		sub("lock-finalization", setupAdminLockFinalization, "Change the finalization locking state of the staged deployment", ""),
		service(sub("finalize-staged", setupAdminFinalizeStaged, "Internal command to run at shutdown time", "")),
		service(sub("boot-complete", setupAdminBootComplete, "Internal command to run at boot after an update was applied", "")),
		sub("init-fs", setupAdminInitFS, "Initialize a root filesystem", "PATH"),
		sub("os-init", setupAdminOSInit, "Initialize empty state for given operating system", "STATEROOT"),
		sub("stateroot-init", setupAdminOSInit, "Initialize empty state for given operating system", "STATEROOT"),
		sub("pin", setupAdminPin, "Change the \"pinning\" state of a deployment, INDEX can be >= 0 or one of booted, pending or rollback strings", "INDEX"),
		sub("post-copy", setupAdminPostCopy, "Update the repo and deployments as needed after a copy", ""),
		sub("set-origin", setupAdminSetOrigin, "Set Origin and create a new origin file", "REMOTENAME URL [BRANCH]"),
		sub("status", setupAdminStatus, "List deployments", ""),
		sub("switch", setupAdminSwitch, "Construct new tree from REFSPEC and deploy it", "REFSPEC"),
		sub("undeploy", setupAdminUndeploy, "Delete deployment INDEX", "INDEX"),
		sub("set-default", setupAdminSetDefault, "Make deployment INDEX the default", "INDEX"),
		own(sub("rollback", setupAdminRollback, "Make the rollback deployment the default (gostree only)", "")),
		sub("unlock", setupAdminUnlock, "Make the current deployment mutable (as a hotfix or development)", ""),
		sub("upgrade", setupAdminUpgrade, "Construct new tree from current origin and deploy it, if it changed", ""),
		{Name: "kargs", Summary: "Change kernel arguments", NoRepo: true, Sysroot: true, Sub: []*clikit.Command{
			hidden(sub("edit-in-place", setupAdminKargsEditInPlace, "Set new kernel command line arguments in place (applies to all deployments by default)", "ARGS")),
		}},
		{Name: "instutil", Summary: "Deprecated commands intended for installer programs", NoRepo: true, Sysroot: true, Hidden: true, ColWidth: 23, Sub: []*clikit.Command{
			sub("selinux-ensure-labeled", notImplemented, "Relabel all or part of a deployment", "[SUBPATH PREFIX]"),
			sub("set-kargs", setupAdminInstutilSetKargs, "Set new kernel command line arguments(Not stable)", "ARGS"),
			sub("grub2-generate", setupAdminGrub2Generate, "Generate GRUB2 configuration from given BLS entries", "[BOOTVERSION]"),
		}},
	}}
}

// notImplemented stands in for commands that later work brings.
func notImplemented(in *clikit.Invocation) func([]string) error {
	return func([]string) error {
		return fmt.Errorf("%s is not implemented yet", in.Path)
	}
}
