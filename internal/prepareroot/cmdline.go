package prepareroot

import "strings"

// kargValue returns the value of the first name= argument of a kernel
// command line. Like libostree it splits on whitespace only: deployments'
// ostree= values never contain quotes or spaces.
func kargValue(cmdline, name string) (string, bool) {
	for _, tok := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(tok, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// ostreeTarget returns the ostree= argument, the bootlink of the deployment
// to boot (/ostree/boot.N/STATEROOT/BOOTCSUM/SERIAL).
func ostreeTarget(cmdline string) (string, bool) {
	v, ok := kargValue(cmdline, "ostree")
	return v, ok && v != ""
}
