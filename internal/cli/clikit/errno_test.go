package clikit

import (
	"fmt"
	"io/fs"
	"os"
	"testing"
)

func TestGlibcErrnoText(t *testing.T) {
	_, err := os.Stat("/nonexistent/x")
	got := glibcErrnoText(fmt.Sprintf("%v", err))
	if want := "stat /nonexistent/x: No such file or directory"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	pe := &fs.PathError{Op: "open", Path: "a", Err: fs.ErrExist}
	if got := glibcErrnoText(pe.Error()); got != "open a: file already exists" {
		t.Errorf("non-errno text changed: %q", got)
	}
}
