package sysroot

import (
	"context"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/testutil"
)

// One commit deployed in two stateroots has one kernel but two ostree=
// paths: reordering them must write new boot entries (libostree 2025.2's
// test-admin-stateroot), and the sysroot must load afterwards.
func TestReorderAcrossStaterootsSwapsBootconfig(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	root, c1, _ := newTestSysroot(t, ref)
	deploy(t, root, c1)
	ctx := context.Background()
	s := loadSysroot(t, root)
	if err := s.InitStateroot(ctx, "testos2"); err != nil {
		t.Fatal(err)
	}
	c, _ := object.ParseChecksum(c1)
	res, err := s.DeployTree(ctx, DeployOptions{Stateroot: "testos2", Commit: c, Kargs: []string{"root=LABEL=MOO", "quiet"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SimpleWriteDeployment(ctx, "testos2", res.Deployment, nil, SimpleWriteFlags{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	s.OnMessage = func(m string) { msgs = append(msgs, m) }
	if _, err := s.SetDefault(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "bootconfig swap: yes") {
		t.Errorf("messages %q lack a bootconfig swap", msgs)
	}
	s2, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Load(ctx); err != nil {
		t.Fatalf("sysroot does not load after the reorder: %v", err)
	}
	if len(s2.Deployments) != 2 || s2.Deployments[0].Stateroot != "testos" {
		t.Errorf("deployments after set-default 1: %v", s2.Deployments)
	}
}
