package clikit

import "os"

// HostBooted reports whether the running system booted into a
// deployment; the shutdown and boot helpers do nothing otherwise.
func HostBooted() bool {
	_, err := os.Stat(HostOptions.WithDefaults().BootedFlag)
	return err == nil
}
