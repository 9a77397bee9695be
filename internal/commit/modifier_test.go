package commit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

func TestModifierApply(t *testing.T) {
	reg := func(perm uint32) FileInfo {
		return FileInfo{Mode: object.ModeReg | perm, UID: 1000, GID: 1000, Size: 3}
	}
	dir := func(perm uint32) FileInfo { return FileInfo{Mode: object.ModeDir | perm, UID: 1000, GID: 1000} }
	for _, tc := range []struct {
		name     string
		mod      func() *Modifier
		mode     repo.Mode
		path     string
		in, want FileInfo
		skip     bool
	}{
		{"nil modifier", func() *Modifier { return nil }, repo.ModeBare, "/f", reg(0o4755), reg(0o4755), false},
		{"nil modifier bare-user-only", func() *Modifier { return nil }, repo.ModeBareUserOnly, "/f", reg(0o4775),
			FileInfo{Mode: object.ModeReg | 0o755, Size: 3}, false},
		{"owner", func() *Modifier { m := NewModifier(); m.OwnerUID, m.OwnerGID = 5, 6; return m }, repo.ModeBare, "/f",
			reg(0o644), FileInfo{Mode: object.ModeReg | 0o644, UID: 5, GID: 6, Size: 3}, false},
		{"ro executables", func() *Modifier { m := NewModifier(); m.ROExecutables = true; return m }, repo.ModeBare, "/f",
			reg(0o775), reg(0o555), false},
		{"ro executables leaves non-executables", func() *Modifier { m := NewModifier(); m.ROExecutables = true; return m }, repo.ModeBare, "/f",
			reg(0o664), reg(0o664), false},
		{"ro executables leaves dirs", func() *Modifier { m := NewModifier(); m.ROExecutables = true; return m }, repo.ModeBare, "/d",
			dir(0o775), dir(0o775), false},
		{"mode add", func() *Modifier { m := NewModifier(); m.ModeAdds = map[string]uint32{"/f": 0o4000}; return m }, repo.ModeBare, "/f",
			reg(0o644), reg(0o4644), false},
		{"mode add other path", func() *Modifier { m := NewModifier(); m.ModeAdds = map[string]uint32{"/g": 0o4000}; return m }, repo.ModeBare, "/f",
			reg(0o644), reg(0o644), false},
		{"mode override", func() *Modifier { m := NewModifier(); m.ModeOverrides = map[string]uint32{"/f": 0o600}; return m }, repo.ModeBare, "/f",
			reg(0o664), reg(0o600), false},
		{"canonical", func() *Modifier { m := NewModifier(); m.CanonicalPermissions = true; return m }, repo.ModeBare, "/d",
			dir(0o1777), FileInfo{Mode: object.ModeDir | 0o755}, false},
		{"statoverride then canonical", func() *Modifier {
			m := NewModifier()
			m.CanonicalPermissions = true
			m.ModeAdds = map[string]uint32{"/f": 0o4000}
			return m
		}, repo.ModeBare, "/f", reg(0o644), FileInfo{Mode: object.ModeReg | 0o644, Size: 3}, false},
		{"skip", func() *Modifier { m := NewModifier(); m.SkipList = map[string]bool{"/f": true}; return m }, repo.ModeBare, "/f",
			reg(0o644), reg(0o644), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.mod()
			got, skip := m.apply(tc.mode, tc.path, tc.in)
			if skip != tc.skip {
				t.Errorf("skip = %v, want %v", skip, tc.skip)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if m != nil && (len(m.ModeAdds) > 0 && m.ModeAdds[tc.path] != 0) {
				t.Errorf("matched mode add was not consumed")
			}
		})
	}
}

func TestStrtodMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"2048 /x", 0o4000}, {"+1048 /x", 1048}, {"384", 0o600}, {"0", 0}, {"0x1ff", 0o777},
		{"12.9", 12}, {"  7", 7}, {"junk", 0}, {"-1", 0xffffffff}, {"1e3", 1000},
	} {
		if got := strtodMode(tc.in); got != tc.want {
			t.Errorf("strtodMode(%q) = %#o, want %#o", tc.in, got, tc.want)
		}
	}
}

func TestLoadStatOverride(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "so")
	if err := os.WriteFile(p, []byte("+1048 /a/nested/2\n2048 /a/nested/3\n\n=384 /a/readable only\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := NewModifier()
	if err := m.LoadStatOverride(ctx, p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]uint32{"/a/nested/2": 1048, "/a/nested/3": 2048}, m.ModeAdds); diff != "" {
		t.Errorf("adds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]uint32{"/a/readable only": 384}, m.ModeOverrides); diff != "" {
		t.Errorf("overrides (-want +got):\n%s", diff)
	}
	if err := os.WriteFile(p, []byte("nospace\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := NewModifier().LoadStatOverride(ctx, p); err == nil || !strings.Contains(err.Error(), "no space found") {
		t.Errorf("malformed line: got %v", err)
	}
}

// TestModifiersCommit commits a directory through the modifiers and checks
// the stored metadata.
func TestModifiersCommit(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"bin/tool": "x", "etc/conf": "c", "skipme": "s", "sub/": ""})
	if err := os.Chmod(filepath.Join(src, "bin/tool"), 0o775); err != nil {
		t.Fatal(err)
	}
	r := newRepo(t, repo.ModeArchive)
	m := NewModifier()
	m.OwnerUID, m.OwnerGID = 10, 20
	m.ROExecutables = true
	m.ModeAdds = map[string]uint32{"/etc/conf": 0o4000, "/": 0o1000}
	m.SkipList = map[string]bool{"/skipme": true}
	o := commitOpts(TreeSource{"dir", src})
	o.Modifier = m
	res, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	cm, _ := r.LoadCommit(ctx, res.Commit)
	rootMeta, _ := r.LoadDirMeta(ctx, cm.RootMeta)
	if rootMeta.Mode != object.ModeDir|0o1755 || rootMeta.UID != 10 || rootMeta.GID != 20 {
		t.Errorf("root dirmeta = %+v", rootMeta)
	}
	dt, _ := r.LoadDirTree(ctx, cm.RootTree)
	for _, f := range dt.Files {
		if f.Name == "skipme" {
			t.Errorf("skipped file committed")
		}
	}
	modes := map[string]uint32{}
	for _, d := range dt.Dirs {
		sub, _ := r.LoadDirTree(ctx, d.Tree)
		for _, f := range sub.Files {
			h, rc, _, err := r.LoadFile(ctx, f.Checksum)
			if err != nil {
				t.Fatal(err)
			}
			rc.Close()
			if h.UID != 10 || h.GID != 20 {
				t.Errorf("%s owned by %d:%d", f.Name, h.UID, h.GID)
			}
			modes[d.Name+"/"+f.Name] = h.Mode
		}
	}
	want := map[string]uint32{"bin/tool": object.ModeReg | 0o555, "etc/conf": object.ModeReg | 0o4644}
	if diff := cmp.Diff(want, modes); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}

	// Unmatched entries are an error and publish nothing.
	m = NewModifier()
	m.ModeAdds = map[string]uint32{"/nope": 1}
	o = commitOpts(TreeSource{"dir", src})
	o.Branch = "unmatched"
	o.Modifier = m
	_, err = Run(ctx, r, o)
	var ue *UnmatchedError
	if !errors.As(err, &ue) || ue.What != "statoverride" || len(ue.Paths) != 1 || ue.Paths[0] != "/nope" {
		t.Errorf("got %v, want unmatched statoverride /nope", err)
	}
	if _, err := r.ResolveRev(ctx, "unmatched", false); err == nil {
		t.Errorf("failed commit wrote its ref")
	}
}
