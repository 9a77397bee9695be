package sysroot

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// Undeploying the only deployment writes an empty boot configuration
// (libostree 2025.2's test-admin-deploy-clean does this).
func TestWriteNoDeploymentsAfterLast(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	root, c1, _ := newTestSysroot(t, ref)
	deploy(t, root, c1)
	ctx := context.Background()
	s := loadSysroot(t, root)
	if err := s.WriteDeployments(ctx, nil, WriteOptions{PostClean: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if len(s.Deployments) != 0 {
		t.Fatalf("%d deployments left", len(s.Deployments))
	}
	ents, _ := os.ReadDir(filepath.Join(root, "boot/loader/entries"))
	if len(ents) != 0 {
		t.Fatalf("boot entries left: %v", ents)
	}
}
