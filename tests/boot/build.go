package boot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are static builds of this module's commands.
type Binaries struct {
	Gostree     string
	PrepareRoot string
}

// ModuleRoot is the directory holding this module's go.mod.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := run(ctx, "", "go", "env", "GOMOD")
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(out)
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the gostree module")
	}
	return filepath.Dir(mod), nil
}

// BuildBinaries builds cmd/gostree and cmd/gostree-prepare-root with
// CGO_ENABLED=0 into dir, so they run in a guest without a libc.
func BuildBinaries(ctx context.Context, dir string) (*Binaries, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	b := &Binaries{Gostree: filepath.Join(dir, "gostree"), PrepareRoot: filepath.Join(dir, "gostree-prepare-root")}
	for out, pkg := range map[string]string{b.Gostree: "./cmd/gostree", b.PrepareRoot: "./cmd/gostree-prepare-root"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w: %s", pkg, err, tail(string(msg), 20))
		}
	}
	return b, nil
}
