package sysroot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/testutil"
)

func TestMoveToFront(t *testing.T) {
	a, b, c := &Deployment{Csum: "a"}, &Deployment{Csum: "b"}, &Deployment{Csum: "c"}
	tests := []struct {
		i    int
		want []*Deployment
	}{
		{0, []*Deployment{a, b, c}},
		{1, []*Deployment{b, a, c}},
		{2, []*Deployment{c, a, b}},
	}
	for _, tc := range tests {
		in := []*Deployment{a, b, c}
		got := moveToFront(in, tc.i)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("moveToFront(%d) (-want +got):\n%s", tc.i, diff)
		}
		if in[0] != a || in[1] != b || in[2] != c {
			t.Errorf("moveToFront(%d) changed its input", tc.i)
		}
	}
}

func TestSetDefaultAndRollback(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	deploy(t, physical, c1)
	deploy(t, physical, c2)
	load := func() *Sysroot {
		s, err := Open(physical)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}

	s := load()
	for _, i := range []int{-1, 2} {
		if _, err := s.SetDefault(ctx, i); err == nil {
			t.Errorf("SetDefault(%d) succeeded", i)
		}
	}
	if _, err := s.SetDefault(ctx, 2); err == nil || err.Error() != "Out of range deployment index 2, expected < 2" {
		t.Errorf("SetDefault(2): %v", err)
	}
	got, err := s.SetDefault(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Csum != c1 {
		t.Errorf("SetDefault returned %s", got.Name())
	}
	s = load()
	if diff := cmp.Diff([]string{c1 + ".0", c2 + ".0"}, names(s.Deployments)); diff != "" {
		t.Errorf("after set-default 1 (-want +got):\n%s", diff)
	}
	status := run(t, ref, "admin", "status", "--sysroot="+physical)
	if i1, i2 := strings.Index(status, c1+".0"), strings.Index(status, c2+".0"); i1 < 0 || i2 < 0 || i1 > i2 {
		t.Errorf("reference status does not list %s first:\n%s", c1, status)
	}

	// Not booted, rollback takes the next deployment of the default's
	// stateroot: back to c2.
	if _, err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s = load()
	if diff := cmp.Diff([]string{c2 + ".0", c1 + ".0"}, names(s.Deployments)); diff != "" {
		t.Errorf("after rollback (-want +got):\n%s", diff)
	}

	// Booted into the default, rollback makes the previous one the default.
	h := simBoot(t, physical, s.Deployments[0])
	s = h.open(t)
	target, err := s.RollbackTarget()
	if err != nil || target.Csum != c1 {
		t.Fatalf("RollbackTarget = %v, %v", target, err)
	}
	if _, err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s = h.open(t)
	if diff := cmp.Diff([]string{c1 + ".0", c2 + ".0"}, names(s.Deployments)); diff != "" {
		t.Errorf("after booted rollback (-want +got):\n%s", diff)
	}
	// Now the booted deployment is not the default: rollback returns to it.
	if target, err := s.RollbackTarget(); err != nil || !target.Equal(s.Booted) {
		t.Fatalf("RollbackTarget = %v, %v; want the booted deployment", target, err)
	}
	if _, err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s = h.open(t)
	if !s.Deployments[0].Equal(s.Booted) {
		t.Errorf("booted deployment not the default after rollback: %v", names(s.Deployments))
	}
}

func TestRollbackNone(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, _ := newTestSysroot(t, ref)
	deploy(t, physical, c1)
	s, err := Open(physical)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rollback(context.Background()); !errors.Is(err, ErrNoRollback) {
		t.Errorf("Rollback with one deployment: %v", err)
	}
}
