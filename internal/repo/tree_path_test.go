package repo

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/errdefs"
)

func TestSplitTreePath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"/", nil},
		{"", []string{""}},
		{"a", []string{"a"}},
		{"/a", []string{"a"}},
		{"/a/b", []string{"a", "b"}},
		{"a/b/", []string{"a", "b", ""}}, // trailing slash: an empty child
		{"a//b", []string{"b"}},          // restarts at the root
		{"a/b//", nil},                   // "//" below the root: the root
		{"//a", []string{"", "a"}},       // only one slash is stripped at the root
		{"a///b", []string{"b"}},
		{"./a", []string{".", "a"}}, // dots are plain names
		{"a/../b", []string{"a", "..", "b"}},
	} {
		if got := splitTreePath(tc.in); !cmp.Equal(got, tc.want) {
			t.Errorf("splitTreePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestResolvePath(t *testing.T) {
	ctx := context.Background()
	r, err := Init(ctx, filepath.Join(t.TempDir(), "repo"), InitOptions{Mode: ModeBareUser})
	if err != nil {
		t.Fatal(err)
	}
	c := sampleCommit(t, r)
	root, err := r.CommitRoot(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, wantPath string
		wantDir        bool
		wantErr        string
	}{
		{"/", "/", true, ""},
		{"/hello", "/hello", false, ""},
		{"sub", "/sub", true, ""},
		{"sub/tool", "/sub/tool", false, ""},
		{"sub//hello", "/hello", false, ""},
		{"/sub/", "", false, "No such file or directory: /sub/"},
		{"/nope/x", "", false, "No such file or directory: /nope"},
		{"/hello/x", "", false, "Not a directory"},
		{"/sub/../hello", "", false, "No such file or directory: /sub/.."},
	} {
		e, err := r.ResolvePath(ctx, root, tc.path)
		if tc.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.path, err, tc.wantErr)
			} else if !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, ErrNotDirectory) {
				t.Errorf("%q: error %v is not classified", tc.path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.path, err)
			continue
		}
		if e.Path != tc.wantPath || e.Dir != tc.wantDir {
			t.Errorf("%q: got %s dir=%v, want %s dir=%v", tc.path, e.Path, e.Dir, tc.wantPath, tc.wantDir)
		}
	}
}
