package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gostree/gostree/internal/summary"
)

// summaryQuery is --list-metadata-keys and --print-metadata-key of
// `summary` and `remote summary` (libostree 2025.2); listing wins.
type summaryQuery struct {
	list bool
	key  string
}

func (q *summaryQuery) active() bool { return q.list || q.key != "" }

// run answers the query from the summary bytes: the keys sorted, one a
// line, or the key's value as `show --print-metadata-key` prints it.
func (q *summaryQuery) run(in *Invocation, data []byte) error {
	s, err := summary.Unmarshal(data)
	if err != nil {
		return err
	}
	var b strings.Builder
	if q.list {
		keys := make([]string, len(s.Metadata))
		for i, e := range s.Metadata {
			keys[i] = e.Key
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString(k + "\n")
		}
	} else {
		v, ok := s.Metadata.Lookup(q.key)
		if !ok {
			return fmt.Errorf("No such metadata key '%s'", q.key)
		}
		b.WriteString(dumpVariant(v.Type, v.Value))
	}
	_, err = in.Stdout.Write([]byte(b.String()))
	return err
}
