package boot

import (
	"context"
	"crypto/ed25519"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/gvariant"
)

// The composefs chain boots deployments whose root is a composefs overlay
// with verity=require, on a sysroot disk made with the ext4 verity feature.
//
// Verity on the objects: the host kernel may lack fs-verity, and mkfs.ext4
// -d would not carry it anyway, so the host makes the sysroot without any
// deployment (init-fs, os-init, the remote, grub, the /var app, repo config
// [ex-integrity] composefs=yes and fsverity=yes) and a setup guest (the
// kit's kernel, straight into a busybox initramfs holding gostree) pulls v1
// from the updates disk and deploys it: gostree writes every object and
// the deployment's .ostree.cfs with fs-verity itself, as it does on a real
// machine. Later versions come through `admin upgrade` in the booted guest.

// cfsInit is TestInit plus what the composefs scenarios check: the mount
// at /, /run/ostree-booted (hex), /sysroot, the /etc edit, and a read of
// every file under /usr/share/cfs-test.
var cfsInit = strings.Replace(TestInit, "echo STATUS-BEGIN;", `echo "ROOT-MOUNT $(awk '$2=="/"{l=$0} END{print l}' /proc/mounts)"
echo "SYSROOT-MOUNT $(awk '$2=="/sysroot"{l=$0} END{print l}' /proc/mounts)"
echo "RUN-BOOTED-HEX=$(od -An -tx1 -v /run/ostree-booted | tr -d ' \n')"
echo "ETC-EDIT=$(cat /etc/gostree-test-edit 2>/dev/null)"
for f in /usr/share/cfs-test/*; do [ -f "$f" ] || continue; if out=$(md5sum "$f" 2>&1); then echo "CFS-READ $f ok ${out%% *}"; else echo "CFS-READ $f fail $out"; fi; done
echo STATUS-BEGIN;`, 1)

// cfsConf is a prepare-root.conf enabling composefs in mode. With
// cfsSysrootRW it keeps /sysroot writable ([sysroot] readonly=false).
func cfsConf(mode string) string {
	c := "[composefs]\nenabled=" + mode + "\n"
	if cfsSysrootRW {
		c += "[sysroot]\nreadonly=false\n"
	}
	return c
}

// cfsSysrootRW keeps /sysroot writable ([sysroot] readonly=false). It is
// false: composefs makes /sysroot read-only by default, and the admin
// commands and the health run must remount it writable in a mount
// namespace of their own, as libostree's do.
const cfsSysrootRW = false

const keyPath = "etc/ostree/initramfs-root-binding.key"

// cfsChain is the composefs chain's disk and versions.
type cfsChain struct {
	*guest
	pub       ed25519.PublicKey
	priv      ed25519.PrivateKey
	initramfs map[string]string // mode -> initramfs with that prepare-root.conf (and the key for signed)
	victims   map[string]string // name under /usr/share/cfs-test -> content (v1 only)
}

// TestComposefs chains the composefs scenarios on one sysroot disk.
func TestComposefs(t *testing.T) {
	t.Parallel()
	k := sharedKit(t)
	t0 := time.Now()
	c := newCfsChain(t, k)
	step := newChain(t).step
	var r1, r2 *Run
	step("setup_deploy_in_guest", func(t *testing.T) { c.setup(t) })
	step("tamper_objects", func(t *testing.T) { c.tamper(t) })
	step("run1", func(t *testing.T) { r1 = c.run1(t) })
	step("a_composefs_verity_root", func(t *testing.T) { c.scenarioRoot(t, r1) })
	step("b_overwritten_object_eio", func(t *testing.T) { c.scenarioEIO(t, r1, "overwritten") })
	step("c_swapped_object_eio", func(t *testing.T) { c.scenarioEIO(t, r1, "swapped") })
	step("run2", func(t *testing.T) { r2 = c.run2(t) })
	step("d_signed_replaced_image_falls_back", func(t *testing.T) { c.scenarioReplacedImage(t, r2) })
	step("e_signed_unsigned_commit_falls_back", func(t *testing.T) { c.scenarioUnsigned(t, r2) })
	step("f_upgrade_keeps_etc_and_var", func(t *testing.T) { c.scenarioUpgrade(t) })
	t.Logf("composefs scenarios: %.1fs total", time.Since(t0).Seconds())
}

func newCfsChain(t *testing.T, k *Kit) *cfsChain {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(k.Work, "composefs")
	c := &cfsChain{guest: &guest{k: k, dir: dir, csum: map[string]string{}}, initramfs: map[string]string{}, victims: map[string]string{}}
	c.build, c.disk, c.updates = filepath.Join(dir, "build"), filepath.Join(dir, "sysroot.img"), filepath.Join(dir, "updates.img")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seed := [32]byte{42}
	c.priv = ed25519.NewKeyFromSeed(seed[:])
	c.pub = c.priv.Public().(ed25519.PublicKey)
	files := map[string]string{
		"conf-verity": cfsConf("verity"), "conf-signed": cfsConf("signed"),
		"key": base64.StdEncoding.EncodeToString(c.pub) + "\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, mode := range []string{"verity", "signed"} {
		extra := map[string]string{"/usr/lib/ostree/prepare-root.conf": filepath.Join(dir, "conf-"+mode)}
		if mode == "signed" {
			extra["/"+keyPath] = filepath.Join(dir, "key")
		}
		c.initramfs[mode] = filepath.Join(dir, "initramfs-"+mode+".img")
		if err := BuildInitramfs(ctx, InitramfsOptions{Kernel: k.Kernel, PrepareRoot: k.Bin.PrepareRoot, Files: extra}, c.initramfs[mode]); err != nil {
			t.Fatal(err)
		}
	}
	rnd := rand.NewChaCha8([32]byte{7})
	for _, name := range []string{"intact", "overwritten", "swapped"} {
		b := make([]byte, 64<<10)
		rnd.Read(b)
		c.victims[name] = string(b)
	}
	return c
}

// version commits a guest version whose prepare-root.conf (and initramfs)
// enable composefs in mode, with ostree.composefs.digest.v0; signed ones
// are signed with the chain's key.
func (c *cfsChain) version(t *testing.T, v OSVersion, mode string, sign bool, files ...File) string {
	t.Helper()
	ctx := context.Background()
	tree := filepath.Join(c.dir, "tree-"+v.Version)
	v.Init = cfsInit
	v.Files = append(append(v.Files, File{Path: "usr/lib/ostree/prepare-root.conf", Data: cfsConf(mode)}), files...)
	in := c.k.TreeInputs()
	in.Initramfs = c.initramfs[mode]
	if err := BuildTree(ctx, tree, in, v); err != nil {
		t.Fatal(err)
	}
	csum, err := c.k.Gostree.Commit(ctx, c.build, guestRef, tree, v.Version, "--generate-composefs-metadata")
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(tree)
	if sign {
		secret := base64.StdEncoding.EncodeToString(c.priv)
		if _, err := c.k.Gostree.Run(ctx, "sign", "--repo="+c.build, csum, secret); err != nil {
			t.Fatal(err)
		}
	}
	c.csum[v.Version] = csum
	return csum
}

// setup makes the sysroot disk without a deployment and lets a guest pull
// and deploy v1 (see the comment at the top).
func (c *cfsChain) setup(t *testing.T) {
	ctx := context.Background()
	var vf []File
	for name, data := range c.victims {
		vf = append(vf, File{Path: "usr/share/cfs-test/" + name, Data: data})
	}
	c.version(t, OSVersion{Version: "v1", Files: greenboot(okConf, okCheck, redD, greenD)}, "verity", false, vf...)
	sr := filepath.Join(c.dir, "sysroot")
	g := c.k.Gostree
	o := SysrootOptions{NoDeploy: true, RepoConfig: [][2]string{{"ex-integrity.composefs", "yes"}, {"ex-integrity.fsverity", "yes"}}}
	if err := MakeSysroot(ctx, g, sr, c.build, o); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(filepath.Join(sr, "ostree/deploy/os/var"), []File{{Path: "lib/app/run.sh", Data: appScript, Mode: 0o755}}); err != nil {
		t.Fatal(err)
	}
	if err := MakeDisk(ctx, sr, c.disk, "sysroot", "700M", "-b", "4096", "-O", "verity"); err != nil {
		t.Fatal(err)
	}
	if err := RemoveTree(sr); err != nil {
		t.Fatal(err)
	}
	up := filepath.Join(c.dir, "updates")
	if err := MakeUpdatesDir(ctx, g, up, c.build, guestRef, ""); err != nil {
		t.Fatal(err)
	}
	if err := MakeDisk(ctx, up, c.updates, "updates", "300M"); err != nil {
		t.Fatal(err)
	}
	var kargs []string
	for _, a := range DefaultKargs {
		kargs = append(kargs, "--karg="+a)
	}
	script := `mkdir -p /sysroot /run/updates
mount -t ext4 /dev/vda /sysroot && mount -t ext4 -o ro /dev/vdb /run/updates || echo "SETUP-FAIL: mount"
gostree pull-local --repo=/sysroot/ostree/repo --remote=updates /run/updates/repo ` + guestRef + `; echo "SETUP-PULL rc=$?"
gostree admin deploy --sysroot=/sysroot --os=os --karg-none ` + strings.Join(kargs, " ") + ` updates:` + guestRef + `; echo "SETUP-DEPLOY rc=$?"
for d in /sysroot/ostree/deploy/os/deploy/*.0; do echo "SETUP-CFS $(ls -l $d/.ostree.cfs 2>&1)"; done
umount /run/updates; umount /sysroot
`
	r, err := BootScript(ctx, ScriptOptions{Kernel: c.k.Kernel, Dir: c.dir, Name: "setup", Script: script,
		Files: map[string]string{"/bin/gostree": c.k.Bin.Gostree}, Disks: []string{c.disk, c.updates}}, 10*time.Minute)
	if r != nil {
		t.Logf("setup guest ran %.1fs", r.Elapsed().Seconds())
	}
	if err != nil {
		t.Fatal(err)
	}
	c.fsck(t)
	if !r.Contains("ext4-verity=yes") || !r.Contains("SETUP-PULL rc=0") || !r.Contains("SETUP-DEPLOY rc=0") {
		t.Fatalf("setup guest: pull and deploy of v1 should succeed on a kernel with fs-verity; console tail:\n%s", r.Tail(40))
	}
	if _, err := ReadFile(ctx, c.disk, c.deployPath("v1")+"/.ostree.cfs"); err != nil {
		t.Fatalf("the v1 deployment has no .ostree.cfs: %v", err)
	}
}

func (c *cfsChain) deployPath(version string) string {
	return "/ostree/deploy/os/deploy/" + c.csum[version] + ".0"
}

// objectPath is the repo object (path inside the sysroot image) holding
// the file at path of version.
func (c *cfsChain) objectPath(t *testing.T, version, path string) string {
	t.Helper()
	out, err := c.k.Gostree.Run(context.Background(), "ls", "-C", "--repo="+c.build, c.csum[version], path)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(out)
	if len(f) < 6 || len(f[4]) != 64 {
		t.Fatalf("ls -C %s: %q", path, out)
	}
	return "/ostree/repo/objects/" + f[4][:2] + "/" + f[4][2:] + ".file"
}

// tamper, on the host between boots: b) a byte of the "overwritten"
// victim's object flipped in its second block on the disk image; c) the
// "swapped" victim's object name linked to the "intact" victim's inode (a
// valid verity file with another digest).
func (c *cfsChain) tamper(t *testing.T) {
	ctx := context.Background()
	over := c.objectPath(t, "v1", "/usr/share/cfs-test/overwritten")
	if err := OverwriteFileByte(ctx, c.disk, over, 1); err != nil {
		t.Fatal(err)
	}
	swapped, intact := c.objectPath(t, "v1", "/usr/share/cfs-test/swapped"), c.objectPath(t, "v1", "/usr/share/cfs-test/intact")
	if err := Relink(ctx, c.disk, intact, swapped); err != nil {
		t.Fatal(err)
	}
	t.Logf("flipped a byte of %s; %s now names %s's inode", over, swapped, intact)
}

// run1: v1 boots (a, b, c are checked on its console), edits /etc, and
// upgrades to v2, signed, whose image the host replaces before run2.
func (c *cfsChain) run1(t *testing.T) *Run {
	c.version(t, OSVersion{Version: "v2", Files: greenboot("GREENBOOT_MAX_BOOT_ATTEMPTS=1\n", okCheck, redD, greenD)}, "signed", true)
	actions := `case "$VERSION" in v1)
  echo edited-under-v1 > /etc/gostree-test-edit && echo ETC-EDITED
  echo UPGRADE-BEGIN; gostree admin upgrade; echo "UPGRADE-END rc=$?";;
esac
`
	r := c.boot(t, "run1", actions, runTimeout)
	if got := versions(r); got != "v1" {
		t.Fatalf("booted versions: got %s, want v1; console tail:\n%s", got, r.Tail(60))
	}
	if up := blocks(r, "UPGRADE-BEGIN", "UPGRADE-END"); len(up) != 1 || rc(up[0]) != 0 {
		t.Fatalf("upgrade to v2 in the guest failed:\n%s\nconsole tail:\n%s", strings.Join(up, "\n--\n"), r.Tail(30))
	}
	return r
}

// bootedState decodes the RUN-BOOTED-HEX markers of a boot.
func bootedState(t *testing.T, b guestBoot) map[string]any {
	t.Helper()
	for _, l := range b.Lines {
		h, ok := strings.CutPrefix(l, "RUN-BOOTED-HEX=")
		if !ok {
			continue
		}
		data, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("/run/ostree-booted hex: %v", err)
		}
		v, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), data)
		if err != nil {
			t.Fatalf("/run/ostree-booted: %v", err)
		}
		out := map[string]any{}
		dict, _ := v.([]any)
		for _, key := range []string{"composefs", "composefs.verity", "composefs.signed", "sysroot-ro"} {
			if x, ok := gvariant.Lookup(dict, key); ok {
				out[key] = x.Value
			}
		}
		return out
	}
	t.Fatalf("no RUN-BOOTED-HEX in the boot:\n%s", b.text())
	return nil
}

// rootMount is the ROOT-MOUNT line of a boot: source, fstype, options.
func rootMount(b guestBoot) (string, string, string) {
	for _, l := range b.Lines {
		if m, ok := strings.CutPrefix(l, "ROOT-MOUNT "); ok {
			if f := strings.Fields(m); len(f) >= 4 {
				return f[0], f[2], f[3]
			}
		}
	}
	return "", "", ""
}

// checkComposefsBoot checks that b booted version with a read-only
// composefs root requiring fs-verity, signed or not.
func (c *cfsChain) checkComposefsBoot(t *testing.T, b guestBoot, version string, signed bool) {
	t.Helper()
	want := bootLine{c.csum[version] + ".0", version, "1", "ro", "rw", "rw", "yes"}
	if b.bootLine != want {
		t.Errorf("boot: got %+v\nwant %+v", b.bootLine, want)
	}
	src, fstype, opts := rootMount(b)
	if src != "composefs" || fstype != "overlay" || !strings.HasPrefix(opts, "ro,") || !strings.Contains(opts, "verity=require") {
		t.Errorf("/ of %s: %s %s %s, want a read-only overlay from composefs with verity=require", version, src, fstype, opts)
	}
	// The init's view: /sysroot read-only (admin writers remount it in a
	// mount namespace of their own).
	if !b.has("SYSROOT-MOUNT /dev/vda /sysroot ext4 ro,") && !cfsSysrootRW {
		t.Errorf("/sysroot of %s should be mounted read-only:\n%s", version, b.text())
	}
	st := bootedState(t, b)
	if st["composefs"] != true || st["composefs.verity"] != true || st["sysroot-ro"] != !cfsSysrootRW {
		t.Errorf("/run/ostree-booted of %s: %v, want composefs and composefs.verity true, sysroot-ro %v", version, st, !cfsSysrootRW)
	}
	wantSigned := any(nil)
	if signed {
		wantSigned = "/" + keyPath
	}
	if st["composefs.signed"] != wantSigned {
		t.Errorf("/run/ostree-booted of %s: composefs.signed %v, want %v", version, st["composefs.signed"], wantSigned)
	}
}

// a: v1 boots from its composefs image with fs-verity required, the intact
// victim reads back, the upgrade to v2 (signed) works from that root.
func (c *cfsChain) scenarioRoot(t *testing.T, r *Run) {
	b := boots(r)[0]
	c.checkComposefsBoot(t, b, "v1", false)
	if ms, found := marker(r, "PREPARE-ROOT-MS"); found {
		t.Logf("prepare-root took %s ms", ms)
	}
	sum := fmt.Sprintf("%x", md5sum(c.victims["intact"]))
	if !b.has("CFS-READ /usr/share/cfs-test/intact ok " + sum) {
		t.Errorf("the intact file should read back (md5 %s):\n%s", sum, strings.Join(r.Matching(reLit("CFS-READ")), "\n"))
	}
	h := blocks(r, "HEALTH-BEGIN", "HEALTH-END")
	if len(h) != 1 || rc(h[0]) != 0 {
		t.Errorf("health run on v1 should pass:\n%s", strings.Join(h, "\n--\n"))
	}
}

// b, c: reading a tampered object through the composefs root fails with EIO.
func (c *cfsChain) scenarioEIO(t *testing.T, r *Run, name string) {
	lines := r.Matching(regexp.MustCompile(`^CFS-READ /usr/share/cfs-test/` + name + ` `))
	if len(lines) != 1 || !strings.Contains(lines[0], " fail ") || !regexp.MustCompile(`I/O error|Input/output error`).MatchString(lines[0]) {
		t.Errorf("reading the %s object: %q, want an I/O error", name, lines)
	}
}

// run2: the host replaces v2's .ostree.cfs by v1's (a valid image with
// fs-verity, another digest); v2 is refused, GRUB falls back to v1 (d);
// v1 upgrades to v3, signed mode but an unsigned commit, which is
// refused too and GRUB falls back to v1 again (e).
func (c *cfsChain) run2(t *testing.T) *Run {
	ctx := context.Background()
	if err := Relink(ctx, c.disk, c.deployPath("v1")+"/.ostree.cfs", c.deployPath("v2")+"/.ostree.cfs"); err != nil {
		t.Fatal(err)
	}
	c.version(t, OSVersion{Version: "v3", Files: greenboot("GREENBOOT_MAX_BOOT_ATTEMPTS=1\n", okCheck, redD, greenD)}, "signed", false)
	r := c.boot(t, "run2", upgradeOnce("v1", "upgraded-v3", "true"), runTimeout)
	if got := versions(r); got != "-,v1,-,v1" {
		t.Fatalf("booted versions: got %s, want -,v1,-,v1 (v2 and v3 refused by prepare-root); console tail:\n%s", got, r.Tail(60))
	}
	return r
}

// d: the replaced image is refused with a digest mismatch; v1 comes back
// with its /etc edit, and records the fallback.
func (c *cfsChain) scenarioReplacedImage(t *testing.T, r *Run) {
	bs := boots(r)
	if !bs[0].has("INITRAMFS-FAIL") || !bs[0].has("Wrong fsverity digest") {
		t.Errorf("v2's boot should fail in prepare-root on the image digest:\n%s", bs[0].text())
	}
	c.checkComposefsBoot(t, bs[1], "v1", false)
	if !bs[1].has("fallback boot detected") || !bs[1].has("ETC-EDIT=edited-under-v1") {
		t.Errorf("v1 after v2's refusal should detect the fallback and keep the /etc edit:\n%s", bs[1].text())
	}
}

// e: a commit without a signature is refused under signed; v1 again.
func (c *cfsChain) scenarioUnsigned(t *testing.T, r *Run) {
	bs := boots(r)
	if up := blocks(r, "UPGRADE-BEGIN", "UPGRADE-END"); len(up) != 1 || rc(up[0]) != 0 {
		t.Errorf("upgrade to v3 in the guest failed:\n%s", strings.Join(up, "\n--\n"))
	}
	// An unsigned commit has no detached metadata at all (libostree 2025.7
	// words it so; a commitmeta without ed25519 signatures would give
	// "Signature validation requested, but no signatures in commit").
	if !bs[2].has("INITRAMFS-FAIL") || !bs[2].has("composefs: No commitmeta for commit "+c.csum["v3"]) {
		t.Errorf("v3's boot should fail in prepare-root for want of a signature:\n%s", bs[2].text())
	}
	c.checkComposefsBoot(t, bs[3], "v1", false)
	if !bs[3].has("fallback boot detected") || !bs[3].has("ETC-EDIT=edited-under-v1") {
		t.Errorf("v1 after v3's refusal should detect the fallback and keep the /etc edit:\n%s", bs[3].text())
	}
}

// f: v1 upgrades to v4, signed and intact: v4 boots with a signed
// composefs root, the /etc edit merged in, and the /var application's
// history covering every boot of the chain.
func (c *cfsChain) scenarioUpgrade(t *testing.T) {
	c.version(t, OSVersion{Version: "v4", Files: greenboot(okConf, okCheck, redD, greenD)}, "signed", true)
	r := c.boot(t, "run3", upgradeOnce("v1", "upgraded-v4", "true"), runTimeout)
	if got := versions(r); got != "v1,v4" {
		t.Fatalf("booted versions: got %s, want v1,v4; console tail:\n%s", got, r.Tail(60))
	}
	b := boots(r)[1]
	c.checkComposefsBoot(t, b, "v4", true)
	if !b.has("ETC-EDIT=edited-under-v1") || !b.has("GREEN-D ran version=v4") {
		t.Errorf("v4 should keep the /etc edit made under v1 and pass its checks:\n%s", b.text())
	}
	var history []string
	for _, run := range c.runs {
		history = append(history, strings.Split(versions(run), ",")...)
	}
	var booted []string
	for _, v := range history {
		if v != "-" {
			booted = append(booted, v)
		}
	}
	want := "history=" + strings.Join(booted, ",") + ","
	lines := r.Matching(reLit("APP version="))
	if len(lines) == 0 || !strings.HasSuffix(lines[len(lines)-1], want) {
		t.Errorf("/var app data: got %q, want %s", lines, want)
	}
	st := blocks(r, "STATUS-BEGIN", "STATUS-END")
	if len(st) == 0 || !strings.Contains(st[len(st)-1], "* os "+c.csum["v4"]+".0") {
		t.Errorf("admin status on v4:\n%s", strings.Join(st, "\n--\n"))
	}
}

func md5sum(s string) [16]byte { return md5.Sum([]byte(s)) }
