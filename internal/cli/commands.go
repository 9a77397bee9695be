package cli

import "fmt"

// rootCommand builds the command tree, in the order ostree lists it.
func rootCommand() *Command {
	return &Command{Name: "ostree", Sub: []*Command{
		adminCommand(),
		{Name: "cat", Summary: "Concatenate contents of files", Usage: "COMMIT PATH...", Setup: setupCat},
		{Name: "checkout", Summary: "Check out a commit into a filesystem tree", Usage: "COMMIT [DESTINATION]", Setup: setupCheckout},
		{Name: "checksum", Summary: "Checksum a file or directory", Usage: "PATH", NoRepo: true, Setup: setupChecksum},
		{Name: "commit", Summary: "Commit a new revision", Usage: "[PATH]", Setup: setupCommit},
		{Name: "config", Summary: "Change repo configuration settings", Usage: "(get KEY|set KEY VALUE|unset KEY)", Setup: setupConfig},
		{Name: "diff", Summary: "Compare directory TARGETDIR against revision REV", Usage: "REV_OR_DIR REV_OR_DIR", Setup: setupDiff},
		{Name: "export", Summary: "Stream COMMIT to stdout in tar format", Usage: "COMMIT", Setup: setupExport},
		{Name: "find-remotes", Summary: "Find remotes to serve the given refs", Usage: "COLLECTION-ID REF [COLLECTION-ID REF...]", Setup: setupFindRemotes},
		{Name: "create-usb", Summary: "Copy the refs to a USB stick", Usage: "MOUNT-PATH COLLECTION-ID REF [COLLECTION-ID REF...]", Setup: setupCreateUSB},
		{Name: "fsck", Summary: "Check the repository for consistency", Setup: setupFsck},
		{Name: "gpg-sign", Summary: "Sign a commit", Usage: "COMMIT KEY-ID...", Setup: setupGpgSign},
		{Name: "init", Summary: "Initialize a new empty repository", Setup: setupInit},
		{Name: "log", Summary: "Show log starting at commit or ref", Usage: "REV", Setup: setupLog},
		{Name: "ls", Summary: "List file paths", Usage: "COMMIT [PATH...]", Setup: setupLs},
		{Name: "prune", Summary: "Search for unreachable objects", Setup: setupPrune},
		{Name: "pull-local", Summary: "Copy data from SRC_REPO", Usage: "SRC_REPO [REFS...]", Setup: setupPullLocal},
		{Name: "pull", Summary: "Download data from remote repository", Usage: "REMOTE [BRANCH...]", Setup: setupPull},
		{Name: "refs", Summary: "List refs", Usage: "[PREFIX]", Setup: setupRefs},
		remoteCommand(),
		{Name: "reset", Summary: "Reset a REF to a previous COMMIT", Usage: "REF COMMIT", Setup: setupReset},
		{Name: "rev-parse", Summary: "Output the target of a rev", Usage: "REV", Setup: setupRevParse},
		{Name: "sign", Summary: "Sign a commit", Usage: "COMMIT KEY-ID...", Setup: setupSign},
		{Name: "show", Summary: "Output a metadata object", Usage: "OBJECT", Setup: setupShow},
		staticDeltaCommand(),
		{Name: "summary", Summary: "Manage summary metadata", Setup: setupSummary},
		{Name: "serve", Summary: "Serve the repository over HTTP", Own: true, Setup: setupServe},
		healthCommand(),
		ownCommand(composefsCommand()),
	}}
}

func remoteCommand() *Command {
	return &Command{Name: "remote", Summary: "Remote commands that may involve internet access", Sub: []*Command{
		{Name: "add", Summary: "Add a remote repository", Usage: "NAME [metalink=|mirrorlist=]URL [BRANCH...]", NoRepo: true, Setup: setupRemoteAdd},
		{Name: "delete", Summary: "Delete a remote repository", Usage: "NAME", NoRepo: true, Setup: setupRemoteDelete},
		{Name: "show-url", Summary: "Show remote repository URL", Usage: "NAME", Setup: setupRemoteShowURL},
		{Name: "list", Summary: "List remote repository names", Setup: setupRemoteList},
		{Name: "gpg-import", Summary: "Import GPG keys", Usage: "NAME [KEY-ID...]", Setup: setupRemoteGpgImport},
		{Name: "gpg-list-keys", Summary: "Show remote GPG keys", Usage: "NAME", Setup: setupRemoteGpgListKeys},
		{Name: "add-cookie", Summary: "Add a cookie to remote", Usage: "NAME DOMAIN PATH COOKIE_NAME VALUE", Setup: setupRemoteAddCookie},
		{Name: "delete-cookie", Summary: "Remove one cookie from remote", Usage: "NAME DOMAIN PATH COOKIE_NAME", Setup: setupRemoteDeleteCookie},
		{Name: "list-cookies", Summary: "Show remote repository cookies", Usage: "NAME", Setup: setupRemoteListCookies},
		{Name: "refs", Summary: "List remote refs", Usage: "NAME", Setup: setupRemoteRefs},
		{Name: "summary", Summary: "Show remote summary", Usage: "NAME", Setup: setupRemoteSummary},
	}}
}

func staticDeltaCommand() *Command {
	return &Command{Name: "static-delta", Summary: "Static delta related commands", ColWidth: 16, Bare: true, Sub: []*Command{
		{Name: "list", Summary: "List static delta files", Setup: setupStaticDeltaList},
		{Name: "show", Summary: "Dump information on a delta", Setup: setupStaticDeltaShow},
		{Name: "delete", Summary: "Remove a delta", Setup: setupStaticDeltaDelete},
		{Name: "generate", Summary: "Generate static delta files", Usage: "[TO]", Setup: setupStaticDeltaGenerate},
		{Name: "apply-offline", Summary: "Apply static delta file", Setup: setupStaticDeltaApplyOffline},
		{Name: "verify", Summary: "Verify static delta signatures", Usage: "STATIC-DELTA-FILE [KEY-ID...]", Setup: setupStaticDeltaVerify},
		{Name: "indexes", Summary: "List static delta indexes", Setup: setupStaticDeltaIndexes},
		{Name: "reindex", Summary: "Regenerate static delta indexes", Setup: setupStaticDeltaReindex},
	}}
}

func adminCommand() *Command {
	sub := func(name string, setup func(*Invocation) func([]string) error, summary, usage string) *Command {
		return &Command{Name: name, Summary: summary, Usage: usage, NoRepo: true, Sysroot: true, Setup: setup}
	}
	hidden := func(c *Command) *Command { c.Hidden = true; return c }
	own := func(c *Command) *Command { c.Own = true; return c }
	service := func(c *Command) *Command { c.Hidden, c.BootedOnly = true, true; return c }
	return &Command{Name: "admin", Summary: "Commands for managing a host system booted with ostree", Usage: "--print-current-dir|COMMAND", NoRepo: true, Sysroot: true, ColWidth: 18, Sub: []*Command{
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
		{Name: "kargs", Summary: "Change kernel arguments", NoRepo: true, Sysroot: true, Sub: []*Command{
			hidden(sub("edit-in-place", setupAdminKargsEditInPlace, "Set new kernel command line arguments in place (applies to all deployments by default)", "ARGS")),
		}},
		{Name: "instutil", Summary: "Deprecated commands intended for installer programs", NoRepo: true, Sysroot: true, Hidden: true, ColWidth: 23, Sub: []*Command{
			sub("selinux-ensure-labeled", notImplemented, "Relabel all or part of a deployment", "[SUBPATH PREFIX]"),
			sub("set-kargs", setupAdminInstutilSetKargs, "Set new kernel command line arguments(Not stable)", "ARGS"),
			sub("grub2-generate", setupAdminGrub2Generate, "Generate GRUB2 configuration from given BLS entries", "[BOOTVERSION]"),
		}},
	}}
}

// ownCommand marks a gostree command: listed only in gostree's help.
func ownCommand(c *Command) *Command {
	c.Own, c.Hidden = true, false
	return c
}

// notImplemented stands in for commands that later work brings.
func notImplemented(in *Invocation) func([]string) error {
	return func([]string) error {
		return fmt.Errorf("%s is not implemented yet", in.Path)
	}
}
