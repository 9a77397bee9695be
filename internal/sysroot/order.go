package sysroot

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoRollback says there is no deployment to roll back to.
var ErrNoRollback = errors.New("No rollback deployment found")

// SetDefault makes the deployment at index the default, keeping the
// others in their order (`admin set-default`). Like every list change
// it drops a staged deployment that does not stay first.
func (s *Sysroot) SetDefault(ctx context.Context, index int) (*Deployment, error) {
	if index < 0 {
		return nil, fmt.Errorf("Invalid index %d", index)
	}
	if index >= len(s.Deployments) {
		return nil, fmt.Errorf("Out of range deployment index %d, expected < %d", index, len(s.Deployments))
	}
	target := s.Deployments[index]
	if err := s.WriteDeployments(ctx, moveToFront(s.Deployments, index), WriteOptions{PostClean: true}); err != nil {
		return nil, err
	}
	return target, nil
}

// RollbackTarget is the deployment Rollback makes the default. On a
// booted system that is the booted deployment when something else (a
// pending or staged deployment) is the default, and otherwise the
// rollback deployment after it. Without a booted deployment it is the
// next deployment of the default's stateroot.
func (s *Sysroot) RollbackTarget() (*Deployment, error) {
	if len(s.Deployments) == 0 {
		return nil, ErrNoRollback
	}
	if s.Booted != nil {
		if !s.Deployments[0].Equal(s.Booted) {
			return s.Booted, nil
		}
		if _, rollback := s.Pending(""); rollback != nil {
			return rollback, nil
		}
		return nil, ErrNoRollback
	}
	def := s.Deployments[0]
	for _, d := range s.Deployments[1:] {
		if d.Stateroot == def.Stateroot {
			return d, nil
		}
	}
	return nil, ErrNoRollback
}

// Rollback makes RollbackTarget the default: the system boots back into
// what it ran before the last update, or discards an update not yet
// booted. libostree has no such call; this is what image-based systems
// call rollback (rpm-ostree's, for one).
func (s *Sysroot) Rollback(ctx context.Context) (*Deployment, error) {
	target, err := s.RollbackTarget()
	if err != nil {
		return nil, err
	}
	for i, d := range s.Deployments {
		if d.Equal(target) {
			return s.SetDefault(ctx, i)
		}
	}
	return nil, ErrNoRollback
}

// moveToFront returns a copy of deps with deps[i] first.
func moveToFront(deps []*Deployment, i int) []*Deployment {
	out := make([]*Deployment, 0, len(deps))
	out = append(out, deps[i])
	out = append(out, deps[:i]...)
	return append(out, deps[i+1:]...)
}
