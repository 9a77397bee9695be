package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

func refsTestRepo(t *testing.T) (*Repo, object.Checksum, object.Checksum) {
	t.Helper()
	ctx := context.Background()
	r, err := Init(ctx, filepath.Join(t.TempDir(), "repo"), InitOptions{Mode: ModeArchive, CollectionID: "org.example.Main"})
	if err != nil {
		t.Fatal(err)
	}
	txn, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: 0o40755}))
	tree, _ := txn.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(object.DirTree{}))
	b1, _ := object.MarshalCommit(&object.Commit{Subject: "one", RootTree: tree, RootMeta: meta})
	c1, err := txn.WriteMetadata(ctx, object.TypeCommit, b1)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := object.MarshalCommit(&object.Commit{Subject: "two", Parent: c1, RootTree: tree, RootMeta: meta})
	c2, err := txn.WriteMetadata(ctx, object.TypeCommit, b2)
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ remote, name string }{{"", "a/b/c"}, {"", "x"}, {"origin", "r/1"}, {"origin", "r2"}} {
		if err := r.WriteRef(ctx, w.remote, w.name, &c2); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.WriteAlias(ctx, "al/y", "x"); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteCollectionRef(ctx, CollectionRef{CollectionID: "org.example.Other", Ref: "m"}, &c1); err != nil {
		t.Fatal(err)
	}
	// Not refs: hidden files, as some sync tools leave.
	os.WriteFile(filepath.Join(r.Path(), "refs/heads/.rsync"), []byte("junk"), 0o644)
	os.WriteFile(filepath.Join(r.Path(), "refs/heads/a/.hidden"), []byte("junk"), 0o644)
	return r, c1, c2
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sortedStrings(out)
}

func sortedStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func TestListRefsExt(t *testing.T) {
	r, _, c2 := refsTestRepo(t)
	cases := []struct {
		opts ListRefsOptions
		want []string
	}{
		{ListRefsOptions{}, []string{"a/b/c", "al/y", "origin:r/1", "origin:r2", "x"}},
		{ListRefsOptions{ExcludeRemotes: true}, []string{"a/b/c", "al/y", "x"}},
		{ListRefsOptions{Prefix: "a", CutPrefix: true}, []string{"b/c"}},
		{ListRefsOptions{Prefix: "a"}, []string{"a/b/c"}},
		{ListRefsOptions{Prefix: "a/b/c", CutPrefix: true}, []string{"a/b/c"}},
		// libostree's quirk: the uncut "." prefix stays in the names.
		{ListRefsOptions{Prefix: "origin:"}, []string{"origin:./r/1", "origin:./r2"}},
		{ListRefsOptions{Prefix: "origin:.", CutPrefix: true}, []string{"origin:r/1", "origin:r2"}},
		{ListRefsOptions{Prefix: "origin:r", CutPrefix: true}, []string{"origin:1"}},
		{ListRefsOptions{Prefix: "nosuch"}, nil},
		{ListRefsOptions{AliasesOnly: true}, []string{"al/y"}},
	}
	for _, tc := range cases {
		got, err := r.ListRefsExt(context.Background(), tc.opts)
		if err != nil {
			t.Fatalf("%+v: %v", tc.opts, err)
		}
		if diff := cmp.Diff(tc.want, keys(got)); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.opts, diff)
		}
		if !tc.opts.AliasesOnly {
			for k, v := range got {
				if v != c2.String() {
					t.Errorf("%+v: %s = %q", tc.opts, k, v)
				}
			}
		}
	}
	al, _ := r.ListRefsExt(context.Background(), ListRefsOptions{AliasesOnly: true})
	if al["al/y"] != "x" {
		t.Errorf("alias target = %q, want x", al["al/y"])
	}
	if _, err := r.ListRefsExt(context.Background(), ListRefsOptions{Prefix: "..bad"}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("bad prefix: %v", err)
	}
}

func TestListCollectionRefs(t *testing.T) {
	r, c1, c2 := refsTestRepo(t)
	got, err := r.ListCollectionRefs(context.Background(), ListCollectionRefsOptions{
		RemoteCollectionID: func(remote string) (string, bool) { return "org.example.Remote", remote == "origin" },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[CollectionRef]string{
		{CollectionID: "org.example.Main", Ref: "a/b/c"}: c2.String(), {CollectionID: "org.example.Main", Ref: "x"}: c2.String(), {CollectionID: "org.example.Main", Ref: "al/y"}: c2.String(),
		{CollectionID: "org.example.Other", Ref: "m"}:    c1.String(),
		{CollectionID: "org.example.Remote", Ref: "r/1"}: c2.String(), {CollectionID: "org.example.Remote", Ref: "r2"}: c2.String(),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got, err = r.ListCollectionRefs(context.Background(), ListCollectionRefsOptions{Match: "org.example.Other"})
	if err != nil || len(got) != 1 {
		t.Errorf("match: %v, %v", got, err)
	}
}

func TestWriteRefReplacesEmptyDir(t *testing.T) {
	ctx := context.Background()
	r, c1, _ := refsTestRepo(t)
	// a/b holds a/b/c: a conflict.
	err := r.WriteRef(ctx, "", "a/b", &c1)
	if !errors.Is(err, errdefs.ErrExists) {
		t.Fatalf("writing over a directory of refs: %v", err)
	}
	if err := r.WriteRef(ctx, "", "a/b/c", nil); err != nil {
		t.Fatal(err)
	}
	// Now a/b is an empty directory, which a ref may replace.
	if err := r.WriteRef(ctx, "", "a/b", &c1); err != nil {
		t.Fatal(err)
	}
	if c, ok, err := r.ResolveRevExt(ctx, "a/b", false, false); err != nil || !ok || c != c1 {
		t.Errorf("a/b = %s, %v, %v", c, ok, err)
	}
	if err := r.WriteRef(ctx, "", c1.String(), &c1); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("ref named like a checksum: %v", err)
	}
}

func TestResolveRevExt(t *testing.T) {
	ctx := context.Background()
	r, c1, c2 := refsTestRepo(t)
	os.MkdirAll(filepath.Join(r.Path(), "refs/heads/dir"), 0o755)
	cases := []struct {
		rev        string
		allowNoent bool
		fallback   bool
		want       object.Checksum
		ok         bool
		err        error
	}{
		{rev: "x", want: c2, ok: true},
		{rev: "x^", want: c1, ok: true},
		{rev: "x^^", err: errdefs.ErrNotFound},
		{rev: "al/y", want: c2, ok: true},
		{rev: "origin:r2", want: c2, ok: true},
		{rev: "r2", fallback: true, want: c2, ok: true},
		{rev: "origin/r2", fallback: true, want: c2, ok: true},
		{rev: "r2", err: errdefs.ErrNotFound},
		{rev: "r2", allowNoent: true},
		{rev: c1.String()[:6], want: c1, ok: true},
		{rev: c1.String(), want: c1, ok: true},
		{rev: "dir", allowNoent: true, err: syscall.EISDIR},
		{rev: "-bad", err: errdefs.ErrInvalid},
	}
	for _, tc := range cases {
		got, ok, err := r.ResolveRevExt(ctx, tc.rev, tc.allowNoent, tc.fallback)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.rev, err, tc.err)
			}
			continue
		}
		if err != nil || ok != tc.ok || got != tc.want {
			t.Errorf("%s = %s, %v, %v; want %s, %v", tc.rev, got, ok, err, tc.want, tc.ok)
		}
	}
}
