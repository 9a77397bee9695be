package staticdelta

import "github.com/gostree/gostree/internal/cli/clikit"

// Command is `ostree static-delta` with its subcommands.
func Command() *clikit.Command {
	return &clikit.Command{Name: "static-delta", Summary: "Static delta related commands", ColWidth: 16, Bare: true, Sub: []*clikit.Command{
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
