package admin

import (
	"testing"

	"github.com/gostree/gostree/internal/sysroot"
)

func TestShouldReboot(t *testing.T) {
	armed := sysroot.BootCountState{Backend: "grubenv", Armed: true, Left: 1}
	tests := []struct {
		name     string
		c        sysroot.BootCountState
		fellBack bool
		isDef    bool
		n        int
		want     bool
	}{
		{"armed default with a fallback", armed, false, true, 2, true},
		{"last attempt still reboots into the fallback", sysroot.BootCountState{Backend: "bls", Armed: true}, false, true, 2, true},
		{"nothing counts", sysroot.BootCountState{}, false, true, 2, false},
		{"not armed", sysroot.BootCountState{Backend: "grubenv"}, false, true, 2, false},
		{"loader fell back", sysroot.BootCountState{Backend: "grubenv", Armed: true, FellBack: true}, false, true, 2, false},
		{"fallback committed", armed, true, true, 2, false},
		{"booted not the default", armed, false, false, 2, false},
		{"single deployment", armed, false, true, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := shouldReboot(tc.c, tc.fellBack, tc.isDef, tc.n)
			if got != tc.want || (!got && why == "") {
				t.Errorf("shouldReboot = %v, %q; want %v", got, why, tc.want)
			}
		})
	}
}
