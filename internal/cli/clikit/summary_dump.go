package clikit

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// DumpSummary is ot_dump_summary_bytes.
func DumpSummary(data []byte, raw bool) (string, error) {
	if raw {
		v, err := gvariant.Unmarshal(summary.Type, data)
		if err != nil {
			return "", err
		}
		return DumpVariant(summary.Type, v), nil
	}
	s, err := summary.Unmarshal(data)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	mainID, _ := s.CollectionID()
	dumpSummaryRefs(&b, mainID, s.Refs)
	cols, err := s.Collections()
	if err != nil {
		return "", err
	}
	for _, c := range cols {
		dumpSummaryRefs(&b, c.ID, c.Refs)
	}
	for _, e := range s.Metadata {
		var pretty, val string
		switch e.Key {
		case summary.KeyStaticDeltas:
			pretty, val = "Static Deltas", gvariant.Print(e.Value.Type, e.Value.Value, false)
		case summary.KeyLastModified:
			pretty, val = "Last-Modified", isoLocal(beU64(e.Value))
		case summary.KeyExpires:
			pretty, val = "Expires", isoLocal(beU64(e.Value))
		case summary.KeyCollectionID:
			pretty, val = "Collection ID", variantString(e.Value)
		case summary.KeyCollectionMap:
			pretty, val = "Collection Map", "(printed above)"
		case summary.KeyMode:
			pretty, val = "Repository Mode", variantString(e.Value)
			if _, err := repo.ParseMode(val); err != nil {
				val = "Invalid (‘" + val + "’)"
			}
		case summary.KeyTombstoneCommits:
			pretty, val = "Has Tombstone Commits", "No"
			if x, ok := e.Value.Value.(bool); ok && x {
				val = "Yes"
			}
		default:
			val = gvariant.Print(e.Value.Type, e.Value.Value, false)
		}
		if pretty != "" {
			fmt.Fprintf(&b, "%s (%s): %s\n", pretty, e.Key, val)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", e.Key, val)
		}
	}
	return b.String(), nil
}

func dumpSummaryRefs(b *strings.Builder, cid string, refs []summary.Ref) {
	for _, r := range refs {
		if cid == "" {
			fmt.Fprintf(b, "* %s\n", r.Name)
		} else {
			fmt.Fprintf(b, "* (%s, %s)\n", cid, r.Name)
		}
		fmt.Fprintf(b, "    Latest Commit (%s):\n", FormatSize(r.CommitSize))
		fmt.Fprintf(b, "      %s\n", r.Checksum)
		for _, e := range r.Metadata {
			switch e.Key {
			case summary.KeyCommitTimestamp:
				fmt.Fprintf(b, "    Timestamp (%s): %s\n", e.Key, isoLocal(beU64(e.Value)))
			case summary.KeyCommitVersion:
				fmt.Fprintf(b, "    Version (%s): %s\n", e.Key, variantString(e.Value))
			default:
				fmt.Fprintf(b, "    %s: %s\n", e.Key, gvariant.Print(e.Value.Type, e.Value.Value, false))
			}
		}
		b.WriteString("\n")
	}
}

// beU64 reads a big-endian t (0 for another type, as GLib's getter
// returns after its warning).
func beU64(v gvariant.Variant) uint64 {
	x, _ := v.Value.(uint64)
	return bits.ReverseBytes64(x)
}

func variantString(v gvariant.Variant) string {
	s, _ := v.Value.(string)
	return s
}
