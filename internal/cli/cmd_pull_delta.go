package cli

import (
	"fmt"

	"github.com/gostree/gostree/internal/pull"
)

// deltaDryRunLine is what `ostree pull --dry-run` prints: the delta
// parts and fallbacks a pull would fetch, and their sizes.
func deltaDryRunLine(d pull.DeltaStats) string {
	return fmt.Sprintf("Delta update: %d/%d parts, %s/%s, %s total uncompressed",
		d.PartsFetched+d.FallbacksFetched, d.PartsTotal+d.FallbacksTotal,
		formatSizeGLib(d.FetchedSize), formatSizeGLib(d.PartSize), formatSizeGLib(d.PartUSize))
}
