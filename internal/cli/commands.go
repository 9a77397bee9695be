package cli

import (
	"github.com/gostree/gostree/internal/cli/admin"
	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/cli/composefscmd"
	"github.com/gostree/gostree/internal/cli/remotecmd"
	"github.com/gostree/gostree/internal/cli/repocmd"
	"github.com/gostree/gostree/internal/cli/serve"
	"github.com/gostree/gostree/internal/cli/staticdelta"
)

// rootCommand builds the command tree, in the order ostree lists it.
func rootCommand() *clikit.Command {
	return &clikit.Command{Name: "ostree", Sub: []*clikit.Command{
		admin.Command(),
		{Name: "cat", Summary: "Concatenate contents of files", Usage: "COMMIT PATH...", Setup: repocmd.Cat},
		{Name: "checkout", Summary: "Check out a commit into a filesystem tree", Usage: "COMMIT [DESTINATION]", Setup: repocmd.Checkout},
		{Name: "checksum", Summary: "Checksum a file or directory", Usage: "PATH", NoRepo: true, Setup: repocmd.Checksum},
		{Name: "commit", Summary: "Commit a new revision", Usage: "[PATH]", Setup: repocmd.Commit},
		{Name: "config", Summary: "Change repo configuration settings", Usage: "(get KEY|set KEY VALUE|unset KEY)", Setup: repocmd.Config},
		{Name: "diff", Summary: "Compare directory TARGETDIR against revision REV", Usage: "REV_OR_DIR REV_OR_DIR", Setup: repocmd.Diff},
		{Name: "export", Summary: "Stream COMMIT to stdout in tar format", Usage: "COMMIT", Setup: repocmd.Export},
		{Name: "find-remotes", Summary: "Find remotes to serve the given refs", Usage: "COLLECTION-ID REF [COLLECTION-ID REF...]", Setup: repocmd.FindRemotes},
		{Name: "create-usb", Summary: "Copy the refs to a USB stick", Usage: "MOUNT-PATH COLLECTION-ID REF [COLLECTION-ID REF...]", Setup: repocmd.CreateUSB},
		{Name: "fsck", Summary: "Check the repository for consistency", Setup: repocmd.Fsck},
		{Name: "gpg-sign", Summary: "Sign a commit", Usage: "COMMIT KEY-ID...", Setup: repocmd.GpgSign},
		{Name: "init", Summary: "Initialize a new empty repository", Setup: repocmd.Init},
		{Name: "log", Summary: "Show log starting at commit or ref", Usage: "REV", Setup: repocmd.Log},
		{Name: "ls", Summary: "List file paths", Usage: "COMMIT [PATH...]", Setup: repocmd.Ls},
		{Name: "prune", Summary: "Search for unreachable objects", Setup: repocmd.Prune},
		{Name: "pull-local", Summary: "Copy data from SRC_REPO", Usage: "SRC_REPO [REFS...]", Setup: repocmd.PullLocal},
		{Name: "pull", Summary: "Download data from remote repository", Usage: "REMOTE [BRANCH...]", Setup: repocmd.Pull},
		{Name: "refs", Summary: "List refs", Usage: "[PREFIX]", Setup: repocmd.Refs},
		remotecmd.Command(),
		{Name: "reset", Summary: "Reset a REF to a previous COMMIT", Usage: "REF COMMIT", Setup: repocmd.Reset},
		{Name: "rev-parse", Summary: "Output the target of a rev", Usage: "REV", Setup: repocmd.RevParse},
		{Name: "sign", Summary: "Sign a commit", Usage: "COMMIT KEY-ID...", Setup: repocmd.Sign},
		{Name: "show", Summary: "Output a metadata object", Usage: "OBJECT", Setup: repocmd.Show},
		staticdelta.Command(),
		{Name: "summary", Summary: "Manage summary metadata", Setup: repocmd.Summary},
		{Name: "serve", Summary: "Serve the repository over HTTP", Own: true, Setup: serve.Setup},
		admin.HealthCommand(),
		ownCommand(composefscmd.Command()),
	}}
}

// ownCommand marks a gostree command: listed only in gostree's help.
func ownCommand(c *clikit.Command) *clikit.Command {
	c.Own, c.Hidden = true, false
	return c
}
