package boot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/testutil"
)

// fsverityGuestTests are the host tests whose positive paths need a kernel
// with fs-verity: internal/fsverity's ioctl tests and internal/prepareroot's
// composefs verity/signed modes (in-namespace mount tests, loop-mounted
// ext4 with the verity feature).
var fsverityGuestTests = []GuestTest{
	{Name: "fsverity", Pkg: "./internal/fsverity", Args: []string{"-test.run=^(TestNotSupported|TestEnableInvalidParams|TestEnableMeasureExt4)$"}},
	{Name: "prepareroot", Pkg: "./internal/prepareroot", Args: []string{"-test.run=^TestPrepareComposefsVerity$"}},
}

// TestFsverityGuest runs the fs-verity tests of internal/fsverity and
// internal/prepareroot in a guest booted (straight into a busybox
// initramfs, no GRUB) with the kit's kernel, which has fs-verity, with
// GOSTREE_TEST_REQUIRE_FSVERITY set: there a missing fs-verity fails them
// instead of sending them down the refusal paths they take on a host
// kernel without it. The guest has no e2fsprogs: the ext4 images the
// tests loop-mount are copies of templates made here.
func TestFsverityGuest(t *testing.T) {
	t.Parallel()
	k := sharedKit(t)
	ctx := context.Background()
	dir := filepath.Join(k.Work, "fsverity-guest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, verity := range []bool{false, true} {
		p := filepath.Join(dir, testutil.Ext4TemplateName(verity))
		testutil.MakeExt4(t, p, verity)
		files["templates/"+testutil.Ext4TemplateName(verity)] = p
	}
	env := []string{testutil.Ext4TemplatesEnv + "=/mnt/templates", testutil.RequireFsverityEnv + "=1", "TEST_DISALLOW_SKIP=1"}
	r, res, err := RunGuestTests(ctx, GuestTestsOptions{Kernel: k.Kernel, Dir: dir, Tests: fsverityGuestTests, Files: files, Env: env}, 10*time.Minute)
	if r != nil {
		t.Logf("guest ran %.1fs", r.Elapsed().Seconds())
	}
	if err != nil {
		t.Fatal(err)
	}
	if !r.Contains("GUEST-KERNEL release=" + k.Kernel.Version + " ext4-verity=yes") {
		t.Fatalf("the guest kernel should be %s with ext4 verity; console tail:\n%s", k.Kernel.Version, r.Tail(40))
	}
	// Each test that must have run, and passed, in the guest.
	want := map[string][]string{
		"fsverity": {"TestEnableMeasureExt4", "TestNotSupported/tmpfs", "TestNotSupported/ext4_without_verity_feature", "TestEnableInvalidParams"},
		"prepareroot": {"TestPrepareComposefsVerity/verity", "TestPrepareComposefsVerity/verity_object_lost_verity",
			"TestPrepareComposefsVerity/signed", "TestPrepareComposefsVerity/signed_by_karg",
			"TestPrepareComposefsVerity/signed_wrong_digest", "TestPrepareComposefsVerity/signed_image_without_verity"},
	}
	for _, gt := range fsverityGuestTests {
		got, ok := res[gt.Name]
		if !ok || got.RC != 0 {
			t.Errorf("%s in the guest: rc %d, output:\n%s", gt.Name, got.RC, got.Output)
			continue
		}
		var passed []string
		for _, l := range strings.Split(got.Output, "\n") {
			if strings.Contains(l, "--- PASS: ") {
				passed = append(passed, strings.TrimSpace(l))
			}
		}
		t.Logf("%s in the guest: %s", gt.Name, strings.Join(passed, "; "))
		for _, name := range want[gt.Name] {
			if !strings.Contains(got.Output, "--- PASS: "+name+" ") {
				t.Errorf("%s in the guest: no PASS line for %s:\n%s", gt.Name, name, got.Output)
			}
		}
		for _, bad := range []string{"--- SKIP", "kernel without fs-verity", "no fs-verity in this kernel"} {
			if strings.Contains(got.Output, bad) {
				t.Errorf("%s in the guest printed %q:\n%s", gt.Name, bad, got.Output)
			}
		}
	}
}
