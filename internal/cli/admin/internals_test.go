package admin

import "context"

// Internals the external tests use.
type BootCounting = bootCounting
type DeploymentStatus = deploymentStatus
type HealthStatus = healthStatus

// StubReboot makes health run call f instead of rebooting until restore.
func StubReboot(f func(context.Context) error) (restore func()) {
	saved := rebootMachine
	rebootMachine = f
	return func() { rebootMachine = saved }
}
