package admin_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/admin"
	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/sysroot"
	"github.com/gostree/gostree/internal/testutil"
)

// adminWorld is a sysroot with stateroot testos and two commits of a
// small bootable tree on branch testos/buildmain/x86_64-runtime.
type adminWorld struct {
	physical string
	c1, c2   string
}

const adminTestRef = "testos/buildmain/x86_64-runtime"

func newAdminWorld(t *testing.T) *adminWorld {
	t.Helper()
	t.Setenv("OSTREE_SYSROOT_DEBUG", "mutable-deployments")
	tmp := t.TempDir()
	w := &adminWorld{physical: filepath.Join(tmp, "sysroot")}
	if err := os.Mkdir(w.physical, 0o755); err != nil {
		t.Fatal(err)
	}
	adminRun(t, "admin", "init-fs", w.physical)
	adminRun(t, "admin", "os-init", "--sysroot="+w.physical, "testos")
	for i, v := range []string{"1.0", "2.0"} {
		tree := filepath.Join(tmp, "tree"+v)
		for p, c := range map[string]string{
			"usr/bin/sh":                          "sh " + v + "\n",
			"usr/lib/modules/3.6.0/vmlinuz":       "a kernel\n",
			"usr/lib/modules/3.6.0/initramfs.img": "an initramfs\n",
			"usr/etc/os-release":                  "NAME=TestOS\nID=testos\nVERSION_ID=42\nPRETTY_NAME=\"TestOS 42\"\n",
			"usr/etc/aconfigfile":                 "a config file\n",
		} {
			full := filepath.Join(tree, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c := strings.TrimSpace(adminRun(t, "--repo="+filepath.Join(w.physical, "ostree/repo"), "commit", "-b", adminTestRef,
			"--add-metadata-string=version="+v, "-s", "Build", "--tree=dir="+tree))
		if i == 0 {
			w.c1 = c
			adminRun(t, "admin", "deploy", "--sysroot="+w.physical, "--os=testos", "--karg=root=LABEL=MOO", adminTestRef)
		} else {
			w.c2 = c
		}
	}
	return w
}

func adminRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := clitest.RunOurs(t, nil, args...)
	if code != 0 {
		t.Fatalf("gostree %v: exit %d\n%s%s", args, code, out, errs)
	}
	return out
}

// bootSim makes the deployment at dir the running system for the CLI:
// / is the deployment, with the physical ostree, boot and var reachable
// through it, and a private /run.
func (w *adminWorld) bootSim(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(w.physical, "ostree/deploy/testos/deploy", name)
	for n, target := range map[string]string{
		"ostree": filepath.Join(w.physical, "ostree"),
		"boot":   filepath.Join(w.physical, "boot"),
		"var":    filepath.Join(w.physical, "ostree/deploy/testos/var"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	// A booted system has /var/tmp from tmpfiles even when the commit
	// seeded no var.
	if err := os.MkdirAll(filepath.Join(w.physical, "ostree/deploy/testos/var/tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	run := t.TempDir()
	if err := os.WriteFile(filepath.Join(run, "ostree-booted"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	saved := clikit.HostOptions
	clikit.HostOptions = sysroot.Options{Root: dir, BootedFlag: filepath.Join(run, "ostree-booted"), RunDir: filepath.Join(run, "ostree"), Cmdline: filepath.Join(run, "cmdline")}
	t.Cleanup(func() { clikit.HostOptions = saved })
	return dir
}

func TestAdminNotBootedErrors(t *testing.T) {
	w := newAdminWorld(t)
	sr := "--sysroot=" + w.physical
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"admin", "deploy", sr, "--os=testos", "--stage", adminTestRef}, "error: Cannot stage deployment: Not currently booted into an OSTree system\n"},
		{[]string{"admin", "deploy", sr, "--os=testos", "--stage", "--retain-pending", adminTestRef}, "error: --stage cannot currently be combined with --retain arguments\n"},
		{[]string{"admin", "deploy", sr, "--os=testos", "--stage", "--not-as-default", adminTestRef}, "error: --stage cannot currently be combined with --not-as-default\n"},
		{[]string{"admin", "upgrade", sr, "--os=testos", "--stage"}, "error: Cannot stage deployment: Not currently booted into an OSTree system\n"},
		{[]string{"admin", "unlock", sr}, "error: Not currently booted into an OSTree system\n"},
		{[]string{"admin", "set-default", sr, "5"}, "error: Out of range deployment index 5, expected < 1\n"},
		{[]string{"admin", "rollback", sr}, "error: No rollback deployment found\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			_, errs, code := clitest.RunOurs(t, nil, tc.args...)
			if code != 1 || errs != tc.wantErr {
				t.Errorf("exit %d, stderr %q; want 1, %q", code, errs, tc.wantErr)
			}
		})
	}
	// Outside a booted system the shutdown and boot helpers do nothing.
	clikit.HostOptions = sysroot.Options{BootedFlag: filepath.Join(t.TempDir(), "none")}
	defer func() { clikit.HostOptions = sysroot.Options{} }()
	for _, cmd := range []string{"finalize-staged", "boot-complete"} {
		out, errs, code := clitest.RunOurs(t, nil, "admin", cmd, sr)
		if code != 0 || out != "" || errs != "" {
			t.Errorf("%s: exit %d, %q %q", cmd, code, out, errs)
		}
	}
}

func TestAdminBootedLifecycle(t *testing.T) {
	testutil.RequiresRoot(t) // admin writes on a booted system need root
	w := newAdminWorld(t)
	root := w.bootSim(t, w.c1+".0")
	sr := "--sysroot=" + root

	status := adminRun(t, "admin", "status", sr)
	if !strings.HasPrefix(status, "* testos "+w.c1+".0\n") {
		t.Fatalf("status on the booted system:\n%s", status)
	}
	if _, errs, _ := clitest.RunOurs(t, nil, "admin", "undeploy", sr, "0"); errs != "error: Cannot undeploy currently booted deployment 0\n" {
		t.Errorf("undeploy booted: %q", errs)
	}

	// Stage the second commit; status lists it first, marked locked as
	// libostree 2025.2 does (2022.7 said "staged").
	adminRun(t, "admin", "deploy", sr, "--stage", "--lock-finalization", adminTestRef)
	status = adminRun(t, "admin", "status", sr)
	if !strings.HasPrefix(status, "  testos "+w.c2+".0 (finalization locked)\n") || !strings.Contains(status, "* testos "+w.c1+".0\n") {
		t.Fatalf("status after staging:\n%s", status)
	}
	if v := adminRun(t, "admin", "status", "-v", sr); !strings.Contains(v, "    Finalization: locked\n") || !strings.Contains(v, "    Boot serial: 0\n    Options: root=LABEL=MOO ostree=/ostree/boot.1/testos/") {
		t.Errorf("status -v:\n%s", v)
	}
	var js []admin.DeploymentStatus
	if err := json.Unmarshal([]byte(adminRun(t, "admin", "status", "--json", sr)), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 2 || !js[0].Staged || !js[0].FinalizationLocked || !js[0].Pending || !js[1].Booted || js[1].Staged {
		t.Errorf("status --json: %+v", js)
	}
	// Locked: finalization leaves it alone.
	adminRun(t, "admin", "finalize-staged", sr)
	if status = adminRun(t, "admin", "status", sr); !strings.Contains(status, "(finalization locked)") {
		t.Fatalf("locked staged deployment finalized:\n%s", status)
	}
	// admin lock-finalization toggles the lock, the legacy file with it.
	for _, tc := range []struct{ args, want string }{
		{"", "Staged deployment is already finalization locked\n"},
		{"-u", "Staged deployment is now queued to apply on shutdown\n"},
		{"--unlock", "Staged deployment is already prepared for finalization\n"},
		{"", "Staged deployment is now finalization locked\n"},
		{"-u", "Staged deployment is now queued to apply on shutdown\n"},
	} {
		args := append([]string{"admin", "lock-finalization", sr}, strings.Fields(tc.args)...)
		if out := adminRun(t, args...); out != tc.want {
			t.Errorf("lock-finalization %s said %q, want %q", tc.args, out, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(clikit.HostOptions.RunDir, "staged-deployment-locked")); !os.IsNotExist(err) {
		t.Errorf("legacy lock file after unlocking: %v", err)
	}
	adminRun(t, "admin", "finalize-staged", sr)
	want := "  testos " + w.c2 + ".0 (pending)\n"
	if status = adminRun(t, "admin", "status", sr); !strings.HasPrefix(status, want) || !strings.Contains(status, "* testos "+w.c1+".0\n") {
		t.Fatalf("status after finalization:\n%s", status)
	}

	// Rollback: the booted deployment is the default again.
	if out := adminRun(t, "admin", "rollback", sr); !strings.HasPrefix(out, "Moving '"+w.c1+".0' to be first deployment\n") {
		t.Errorf("rollback said %q", out)
	}
	if status = adminRun(t, "admin", "status", sr); !strings.HasPrefix(status, "* testos "+w.c1+".0\n") || !strings.Contains(status, "  testos "+w.c2+".0 (rollback)\n") {
		t.Fatalf("status after rollback:\n%s", status)
	}
	adminRun(t, "admin", "set-default", sr, "1")
	if status = adminRun(t, "admin", "status", sr); !strings.HasPrefix(status, "  testos "+w.c2+".0 (pending)\n") {
		t.Fatalf("status after set-default 1:\n%s", status)
	}

	// Unlock.
	if _, errs, _ := clitest.RunOurs(t, nil, "admin", "unlock", sr, "--hotfix", "--transient"); errs != "error: Cannot specify both --hotfix and --transient\n" {
		t.Errorf("unlock --hotfix --transient: %q", errs)
	}
	out := adminRun(t, "admin", "unlock", sr)
	if !strings.HasPrefix(out, "Development mode enabled.") {
		t.Errorf("unlock said %q", out)
	}
	if status = adminRun(t, "admin", "status", sr); !strings.Contains(status, "* testos "+w.c1+".0\n    Version: 1.0\n    Unlocked: development\n") {
		t.Errorf("status after unlock:\n%s", status)
	}
	if _, errs, _ := clitest.RunOurs(t, nil, "admin", "unlock", sr); errs != "error: Deployment is already in unlocked state: development\n" {
		t.Errorf("second unlock: %q", errs)
	}
	if _, err := os.Stat(filepath.Join(root, "usr")); err != nil {
		t.Fatal(err)
	}
}
