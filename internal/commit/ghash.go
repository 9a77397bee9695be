package commit

import (
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// gHashOrder returns keys (deduplicated, first occurrence kept) in the
// order a GVariantDict gives after inserting them in the given order.
// libostree builds some commit metadata through a GVariantDict, so its
// serialized order, and thus the commit checksum, is this order.
func gHashOrder(keys []string) []string {
	d := object.NewVarDict()
	for _, k := range keys {
		if _, ok := d.Lookup(k); !ok {
			d.Insert(k, gvariant.NewVariant("b", true))
		}
	}
	var out []string
	for _, e := range d.End() {
		out = append(out, e.Key)
	}
	return out
}
