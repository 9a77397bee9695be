package sysroot

import "context"

// SimpleWriteFlags configure SimpleWriteDeployment.
type SimpleWriteFlags struct {
	// NoClean skips the cleanup after the switch.
	NoClean bool
	// NotDefault places the new deployment after the booted (or merge)
	// one instead of first.
	NotDefault bool
	// Retain keeps every current deployment; RetainPending and
	// RetainRollback keep those before or after the booted (or merge)
	// deployment.
	Retain, RetainPending, RetainRollback bool
}

// SimpleWriteDeployment writes the list made of newDep and the current
// deployments worth keeping: the booted and merge ones, pinned ones,
// other stateroots' ones, and those the Retain flags ask for.
func (s *Sysroot) SimpleWriteDeployment(ctx context.Context, stateroot string, newDep, merge *Deployment, f SimpleWriteFlags) error {
	booted := s.Booted
	if stateroot == "" && booted != nil {
		stateroot = booted.Stateroot
	}
	retain := f.Retain
	if booted == nil && merge == nil && (f.RetainPending || f.RetainRollback) {
		retain = true
	}
	var list []*Deployment
	added := false
	if !f.NotDefault {
		list = append(list, newDep)
		added = true
	}
	beforeBooted, beforeMerge := true, true
	for _, d := range s.Deployments {
		matches := stateroot == "" || d.Stateroot == stateroot
		isBooted, isMerge := d.Equal(booted), d.Equal(merge)
		if isBooted {
			beforeBooted = false
		}
		if isMerge {
			beforeMerge = false
		}
		passed := !beforeMerge
		if booted != nil {
			passed = !beforeBooted
		}
		if retain || d.Pinned() || !matches || (f.RetainPending && !passed) || isBooted || isMerge || (f.RetainRollback && passed) {
			list = append(list, d)
		}
		if !added && passed {
			list = append(list, newDep)
			added = true
		}
	}
	if !added {
		list = append(list, newDep)
	}
	return s.WriteDeployments(ctx, list, WriteOptions{PostClean: !f.NoClean})
}
