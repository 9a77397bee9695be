package repocmd

import (
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/pull"
)

// deltaDryRunLine is what `ostree pull --dry-run` prints: the delta
// parts and fallbacks a pull would fetch, and their sizes.
func deltaDryRunLine(d pull.DeltaStats) string {
	return fmt.Sprintf("Delta update: %d/%d parts, %s/%s, %s total uncompressed",
		d.PartsFetched+d.FallbacksFetched, d.PartsTotal+d.FallbacksTotal,
		clikit.FormatSizeGLib(d.FetchedSize), clikit.FormatSizeGLib(d.PartSize), clikit.FormatSizeGLib(d.PartUSize))
}
