package sysroot

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/keyfile"
)

// Unlocked states of a deployment (ostree admin unlock).
const (
	UnlockedNone        = "none"
	UnlockedDevelopment = "development"
	UnlockedHotfix      = "hotfix"
	UnlockedTransient   = "transient"
)

// Deployment is one deployed tree.
type Deployment struct {
	// Index is the position in the sysroot's list; 0 is the default.
	Index     int
	Stateroot string
	// Csum is the commit checksum (hex) and Serial the deploy serial:
	// the directory is deploy/CSUM.SERIAL.
	Csum   string
	Serial int
	// BootCsum names the kernel directory and BootSerial the position
	// among the list's deployments sharing it.
	BootCsum   string
	BootSerial int
	// BootConfig is the BLS entry (nil for a deployment not yet written).
	BootConfig *bootloader.Config
	// Origin is the .origin keyfile (nil when there is none).
	Origin   *keyfile.File
	Unlocked string
	Staged   bool
	// FinalizationLocked is a staged deployment whose state says
	// "locked" (libostree 2023.8+): shutdown leaves it alone until
	// `admin lock-finalization --unlock`.
	FinalizationLocked bool
	// OverlayInitrds are the checksums of the overlay initrds.
	OverlayInitrds []string
}

// Name is CSUM.SERIAL, the deployment directory's name.
func (d *Deployment) Name() string { return fmt.Sprintf("%s.%d", d.Csum, d.Serial) }

// RelPath is the deployment directory relative to the sysroot.
func (d *Deployment) RelPath() string {
	return fmt.Sprintf("ostree/deploy/%s/deploy/%s", d.Stateroot, d.Name())
}

// OriginRelPath is the .origin file relative to the sysroot.
func (d *Deployment) OriginRelPath() string { return d.RelPath() + ".origin" }

// Pinned reports the transient pin that `admin pin` sets.
func (d *Deployment) Pinned() bool {
	if d.Origin == nil {
		return false
	}
	v, err := d.Origin.Bool("libostree-transient", "pinned", false)
	return err == nil && v
}

// Equal reports whether two values name the same deployment.
func (d *Deployment) Equal(o *Deployment) bool {
	return d != nil && o != nil && d.Stateroot == o.Stateroot && d.Csum == o.Csum && d.Serial == o.Serial
}

// Clone returns a copy with its own boot config and origin.
func (d *Deployment) Clone() *Deployment {
	n := *d
	if d.BootConfig != nil {
		n.BootConfig = d.BootConfig.Clone()
	}
	if d.Origin != nil {
		o, err := keyfile.Parse(d.Origin.Bytes())
		if err == nil {
			n.Origin = o
		}
	}
	n.OverlayInitrds = append([]string(nil), d.OverlayInitrds...)
	return &n
}

var deployNameRE = regexp.MustCompile(`^([0-9a-f]+)\.([0-9]+)$`)

// parseDeployName splits CSUM.SERIAL.
func parseDeployName(name string) (string, int, error) {
	m := deployNameRE.FindStringSubmatch(name)
	if m == nil {
		return "", 0, fmt.Errorf("Invalid deploy name '%s', expected CHECKSUM.TREESERIAL", name)
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return "", 0, fmt.Errorf("Invalid deploy name '%s': %v", name, err)
	}
	return m[1], n, nil
}

var bootlinkRE = regexp.MustCompile(`^/ostree/boot\.([01])/([^/]+)/([^/]+)/([0-9]+)$`)

// bootlink is the parsed value of the ostree= kernel argument.
type bootlink struct {
	bootversion int
	stateroot   string
	bootcsum    string
	serial      int
}

func parseBootlink(s string) (bootlink, error) {
	m := bootlinkRE.FindStringSubmatch(s)
	if m == nil {
		return bootlink{}, fmt.Errorf("Invalid ostree= argument '%s', expected ostree=/ostree/boot.BOOTVERSION/OSNAME/BOOTCSUM/TREESERIAL", s)
	}
	bv, _ := strconv.Atoi(m[1])
	serial, err := strconv.Atoi(m[4])
	if err != nil {
		return bootlink{}, fmt.Errorf("Invalid ostree= argument '%s': %v", s, err)
	}
	return bootlink{bv, m[2], m[3], serial}, nil
}
