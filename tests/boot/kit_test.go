package boot

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/testutil"
)

var (
	kitOnce sync.Once
	kitVal  *Kit
	kitErr  error
	workDir string
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "gostree-boot-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = d
	code := m.Run()
	if os.Getenv("GOSTREE_BOOT_KEEP") == "" {
		RemoveTree(d)
	} else {
		fmt.Fprintln(os.Stderr, "boot test files kept in", d)
	}
	os.Exit(code)
}

// sharedKit returns the kit every boot test uses, building it on first use.
// Without root or the tools it skips, or fails when CI is set.
func sharedKit(t *testing.T) *Kit {
	t.Helper()
	testutil.RequiresRoot(t)
	if miss := MissingTools(); len(miss) > 0 {
		testutil.Skip(t, fmt.Sprintf("boot tests need %v (scripts/boot-deps.sh installs them)", miss))
	}
	kitOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		kitVal, kitErr = NewKit(ctx, workDir)
		if kitErr == nil {
			fmt.Fprintf(os.Stderr, "boot kit: kernel %s, times %v\n", kitVal.Kernel.Version, kitVal.Times)
		}
	})
	if kitErr != nil {
		t.Fatal(kitErr)
	}
	return kitVal
}
