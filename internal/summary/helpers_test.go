package summary

import (
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

func parseMD(t *testing.T, kvs []string) object.Metadata {
	t.Helper()
	var md object.Metadata
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		typ, val, err := gvariant.ParseAny(v)
		if err != nil {
			t.Fatal(err)
		}
		md = append(md, object.MetaEntry{Key: k, Value: gvariant.Variant{Type: typ, Value: val}})
	}
	return md
}
