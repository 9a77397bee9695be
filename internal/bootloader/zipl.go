package bootloader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/fsx"
)

// ziplStamp marks that the boot record must be rewritten after the swap.
const ziplStamp = "boot/ostree-bootloader-update.stamp"

// ziplSecureExecutionFlag says whether this is an s390x Secure Execution
// guest, whose boot image libostree builds with genprotimg.
const ziplSecureExecutionFlag = "/sys/firmware/uv/prot_virt_guest"

// zipl (s390x) leaves a stamp in WriteConfig and runs zipl after the swap.
// It is never auto-detected. Secure Execution images are not supported.
type zipl struct{}

var _ Backend = zipl{}

func (zipl) Name() string   { return "zipl" }
func (zipl) IsAtomic() bool { return true }

func (zipl) WriteConfig(_ context.Context, sysroot string, _ int, _ []*Config) error {
	if err := fsx.WriteFileAtomic(filepath.Join(sysroot, ziplStamp), nil, 0o644, false); err != nil {
		return fmt.Errorf("writing %s: %w", ziplStamp, err)
	}
	return nil
}

func (zipl) PostBLSSync(ctx context.Context, sysroot string, _ int) error {
	// zipl writes the boot record of the running system; libostree
	// asserts that the sysroot is the booted one.
	if filepath.Clean(sysroot) != "/" {
		return fmt.Errorf("zipl: sysroot %s is not the booted system", sysroot)
	}
	stamp := filepath.Join(sysroot, ziplStamp)
	if ok, err := lexists(stamp); err != nil || !ok {
		return err
	}
	flag, err := os.ReadFile(ziplSecureExecutionFlag)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if strings.Contains(string(flag), "1") {
		return fmt.Errorf("s390x SE: secure execution boot images are not supported")
	}
	if err := runTool(exec.CommandContext(ctx, "zipl")); err != nil {
		return err
	}
	return os.Remove(stamp)
}
