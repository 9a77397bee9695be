package testutil

import (
	"testing"

	"github.com/gostree/gostree/internal/grubenv"
)

// GrubVar reads variable name from the GRUB environment block at path,
// "<unset>" when the block does not have it.
func GrubVar(t testing.TB, path, name string) string {
	t.Helper()
	e, err := grubenv.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := e.Get(name)
	if !ok {
		return "<unset>"
	}
	return v
}
