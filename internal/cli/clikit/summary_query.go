package clikit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gostree/gostree/internal/summary"
)

// SummaryQuery is --list-metadata-keys and --print-metadata-key of
// `summary` and `remote summary` (libostree 2025.2); listing wins.
type SummaryQuery struct {
	List bool
	Key  string
}

func (q *SummaryQuery) Active() bool { return q.List || q.Key != "" }

// Run answers the query from the summary bytes: the keys sorted, one a
// line, or the key's value as `show --print-metadata-key` prints it.
func (q *SummaryQuery) Run(in *Invocation, data []byte) error {
	s, err := summary.Unmarshal(data)
	if err != nil {
		return err
	}
	var b strings.Builder
	if q.List {
		keys := make([]string, len(s.Metadata))
		for i, e := range s.Metadata {
			keys[i] = e.Key
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString(k + "\n")
		}
	} else {
		v, ok := s.Metadata.Lookup(q.Key)
		if !ok {
			return fmt.Errorf("No such metadata key '%s'", q.Key)
		}
		b.WriteString(DumpVariant(v.Type, v.Value))
	}
	_, err = in.Stdout.Write([]byte(b.String()))
	return err
}
