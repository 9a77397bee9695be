package sysroot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/testutil"
)

// A tree with an empty /etc beside usr/etc deploys (libostree 2025.2's
// test-admin-deploy-emptyetc); a non-empty one is still refused.
func TestDeployEmptyEtcBesideUsrEtc(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	root, _, _ := newTestSysroot(t, ref)
	ctx := context.Background()
	commitWithEtc := func(name string, files map[string]string) object.Checksum {
		tree := filepath.Join(t.TempDir(), name)
		writeOSTree(t, tree, "1")
		if err := os.Mkdir(filepath.Join(tree, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		for p, c := range files {
			if err := os.WriteFile(filepath.Join(tree, "etc", p), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out := run(t, ref, "--repo="+filepath.Join(root, "ostree/repo"), "commit", "-b", name, "--tree=dir="+tree)
		c, err := object.ParseChecksum(strings.TrimSpace(out))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	s := loadSysroot(t, root)
	res, err := s.DeployTree(ctx, DeployOptions{Stateroot: "testos", Commit: commitWithEtc("empty", nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, res.Deployment.RelPath(), "etc/os-release")); err != nil {
		t.Errorf("etc not prepared from usr/etc: %v", err)
	}
	_, err = s.DeployTree(ctx, DeployOptions{Stateroot: "testos", Commit: commitWithEtc("full", map[string]string{"x": "x\n"})})
	if err == nil || !strings.Contains(err.Error(), "Tree contains both /etc and /usr/etc") {
		t.Errorf("non-empty etc: %v", err)
	}
}
