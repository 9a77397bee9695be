package repocmd

import (
	"bytes"
	"encoding/json"
	"io"
)

// writeJSON prints v as the --json output of our status commands:
// indented, one document, HTML characters left as they are.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
