package repocmd_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/testutil"
)

var dummyOn = map[string]string{"OSTREE_DUMMY_SIGN_ENABLED": "1"}

// signKey is an ed25519 key in libostree's text forms.
type signKey struct{ secret, public, hex string }

func newSignKey(seed byte) signKey {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	return signKey{base64.StdEncoding.EncodeToString(priv), base64.StdEncoding.EncodeToString(pub), hex.EncodeToString(pub)}
}

// signRepo makes an archive repo with one commit on main using our CLI.
func signRepo(t *testing.T, commitArgs ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "f"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rp := filepath.Join(dir, "repo")
	clitest.MustOurs(t, dummyOn, "--repo="+rp, "init", "--mode=archive")
	out := clitest.MustOurs(t, dummyOn, append([]string{"--repo=" + rp, "commit", "-b", "main", "-s", "s", "--tree=dir=" + tree}, commitArgs...)...)
	return rp, strings.TrimSpace(out)
}

func TestSignCommand(t *testing.T) {
	good, bad := newSignKey(1), newSignKey(2)
	rp, c := signRepo(t)
	repoArg := "--repo=" + rp
	dir := t.TempDir()
	keysFile := func(name string, keys ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(keys, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keysDir := filepath.Join(dir, "keysdir")
	if err := os.MkdirAll(filepath.Join(keysDir, "trusted.ed25519.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	keysFile("keysdir/trusted.ed25519.d/k", bad.public, good.public)
	ok := "ed25519: Signature verified successfully with key '" + good.hex + "'\n"

	steps := []struct {
		name       string
		env        map[string]string
		args       []string
		wantOut    string
		wantErr    string // a substring of stderr
		wantFailed bool
	}{
		{name: "not signed yet", args: []string{"sign", "--verify", c, good.public}, wantErr: "error: No valid signatures found", wantFailed: true},
		{name: "usage", args: []string{"sign"}, wantErr: "Need a COMMIT to sign or verify", wantFailed: true},
		{name: "no key", args: []string{"sign", c}, wantErr: "Need at least one KEY-ID to sign with", wantFailed: true},
		{name: "bad secret", args: []string{"sign", c, good.public}, wantErr: "error: Incorrect ed25519 secret key", wantFailed: true},
		{name: "unknown type", args: []string{"sign", "-s", "trustme", c, good.secret}, wantErr: "error: Requested signature type is not implemented", wantFailed: true},
		{name: "sign", args: []string{"sign", "main", good.secret}},
		{name: "verify", args: []string{"sign", "--verify", c, good.public}, wantOut: ok},
		{name: "verify among keys", args: []string{"sign", "--verify", "--sign-type=ed25519", c, bad.public, "junk", good.public}, wantOut: ok},
		{name: "wrong key", args: []string{"sign", "--verify", c, bad.public}, wantErr: "error: No valid signatures found", wantFailed: true},
		{name: "keys file", args: []string{"sign", "--verify", "--keys-file=" + keysFile("pub", bad.public, good.public), c}, wantOut: ok},
		{name: "keys file without the key", args: []string{"sign", "--verify", "--keys-file=" + keysFile("wrong", bad.public), c},
			wantErr: "error: ed25519: Signature couldn't be verified with: key '" + bad.hex + "'", wantFailed: true},
		{name: "keys file is a directory", args: []string{"sign", "--verify", "--keys-file=" + dir, c},
			wantErr: "error: File object '" + dir + "' is not a regular file", wantFailed: true},
		{name: "keys dir", args: []string{"sign", "--verify", "--keys-dir=" + keysDir, c}, wantOut: ok},
		{name: "dummy without the switch", args: []string{"sign", "--sign-type=dummy", c, "dummysign"},
			wantErr: "error: dummy signature type is only for ostree testing", wantFailed: true},
		{name: "dummy", env: dummyOn, args: []string{"sign", "-s", "dummy", c, "dummysign"}},
		{name: "dummy verify", env: dummyOn, args: []string{"sign", "-s", "dummy", "--verify", c, "dummysign"}, wantOut: "dummy: Signature verified\n"},
		{name: "ed25519 still verifies", args: []string{"sign", "--verify", c, good.public}, wantOut: ok},
		// libostree 2022.7 ignores --delete: it signs once more.
		{name: "delete is ignored", args: []string{"sign", "--delete", c, good.secret}},
		{name: "sign from keys file", args: []string{"sign", "--keys-file=" + keysFile("secret", newSignKey(3).secret), c}},
		{name: "verify third key", args: []string{"sign", "--verify", c, newSignKey(3).public}, wantOut: "ed25519: Signature verified successfully with key '" + newSignKey(3).hex + "'\n"},
	}
	for _, st := range steps {
		out, errs, code := clitest.RunOurs(t, st.env, append([]string{repoArg}, st.args...)...)
		if (code != 0) != st.wantFailed || out != st.wantOut || !strings.Contains(errs, st.wantErr) {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want failure %v, stdout %q, stderr containing %q",
				st.name, code, out, errs, st.wantFailed, st.wantOut, st.wantErr)
		}
	}
	// Three ed25519 signatures by two keys, and the dummy one.
	md := detachedMetadata(t, rp, c)
	s, _ := sign.Get("ed25519")
	if n := len(sign.MetadataSignatures(md, s)); n != 3 {
		t.Errorf("%d ed25519 signatures, want 3 (good twice, the third key once)", n)
	}
}

func detachedMetadata(t *testing.T, rp, c string) object.Metadata {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rp, "objects", c[:2], c[2:]+".commitmeta"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// TestCommitAndSummarySign signs with `commit --sign` and `summary -u
// --sign`; the signatures verify over the commit and summary bytes.
func TestCommitAndSummarySign(t *testing.T) {
	ctx := t.Context()
	k := newSignKey(4)
	rp, c := signRepo(t, "--sign="+k.secret, "--sign-type=ed25519")
	clitest.MustOurs(t, nil, "--repo="+rp, "sign", "--verify", c, k.public)

	clitest.MustOurs(t, dummyOn, "--repo="+rp, "summary", "-u", "--sign-type=dummy", "--sign=dummysign")
	clitest.MustOurs(t, nil, "--repo="+rp, "summary", "-u", "--sign="+k.secret, "--sign="+newSignKey(5).secret)
	summary, err := os.ReadFile(filepath.Join(rp, "summary"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(filepath.Join(rp, "summary.sig"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := sign.UnmarshalSummarySig(sig)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := md.Lookup(sign.DummyMetadataKey); ok {
		t.Errorf("summary -u kept the old summary.sig")
	}
	s, _ := sign.Get("ed25519")
	if err := s.AddPublicKey(newSignKey(5).public); err != nil {
		t.Fatal(err)
	}
	if sigs := sign.MetadataSignatures(md, s); len(sigs) != 2 {
		t.Fatalf("%d summary signatures", len(sigs))
	}
	if _, err := sign.VerifyData(ctx, s, summary, md); err != nil {
		t.Errorf("summary signature: %v", err)
	}
	_, errs, code := clitest.RunOurs(t, nil, "--repo="+rp, "summary", "-u", "--sign-type=nope", "--sign=x")
	if code == 0 || !strings.Contains(errs, "Requested signature type is not implemented") {
		t.Errorf("unknown type: %d %s", code, errs)
	}
}

// TestSignPullVerification pulls signed and unsigned commits and
// summaries over HTTP from our server, with the remote options of
// test-signed-pull.sh.
func TestSignPullVerification(t *testing.T) {
	t.Setenv("OSTREE_DUMMY_SIGN_ENABLED", "1") // read by pull's verifiers
	good, bad := newSignKey(6), newSignKey(7)
	src, c := signRepo(t, "--sign="+good.secret)
	clitest.MustOurs(t, nil, "--repo="+src, "summary", "-u", "--sign="+good.secret)
	h, err := server.New(src, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte(bad.public+"\n"+good.public+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wrongKey := "ed25519: Signature couldn't be verified with: key '" + bad.hex + "'"
	tests := []struct {
		name    string
		remote  []string
		wantErr string
	}{
		{name: "inline key", remote: []string{"--sign-verify=ed25519=inline:" + good.public}},
		{name: "keys file", remote: []string{"--sign-verify=ed25519=file:" + keys}},
		{name: "true with key", remote: []string{"--set=sign-verify=true", "--set=verification-ed25519-key=" + good.public}},
		{name: "summary", remote: []string{"--set=sign-verify-summary=true", "--set=verification-ed25519-key=" + good.public}},
		{name: "wrong key", remote: []string{"--sign-verify=ed25519=inline:" + bad.public}, wantErr: "error: Can't verify commit: " + wrongKey},
		{name: "wrong summary key", remote: []string{"--set=sign-verify-summary=ed25519", "--set=verification-ed25519-key=" + bad.public}, wantErr: "error: " + wrongKey},
		{name: "no keys", remote: []string{"--set=sign-verify=ed25519"}, wantErr: "error: No keys found for required signapi type ed25519"},
		{name: "unknown type", remote: []string{"--set=sign-verify=nosuchsystem"}, wantErr: "error: Requested signature type is not implemented"},
		{name: "missing keys file", remote: []string{"--set=sign-verify=true", "--set=verification-ed25519-file=/non/existing"},
			wantErr: "error: Failed loading 'ed25519' keys from '/non/existing\n"},
		{name: "only dummy signatures expected", remote: []string{"--set=sign-verify=dummy", "--set=verification-dummy-key=x"}, wantErr: "error: Can't verify commit: No signatures found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "repo")
			clitest.MustOurs(t, nil, "--repo="+dst, "init", "--mode=archive")
			clitest.MustOurs(t, nil, append([]string{"--repo=" + dst, "remote", "add", "--set=gpg-verify=false", "origin", srv.URL}, tc.remote...)...)
			_, errs, code := clitest.RunOurs(t, dummyOn, "--repo="+dst, "pull", "origin", "main")
			if tc.wantErr == "" {
				if code != 0 {
					t.Fatalf("pull: %s", errs)
				}
				if got := strings.TrimSpace(clitest.MustOurs(t, nil, "--repo="+dst, "rev-parse", "origin:main")); got != c {
					t.Fatalf("pulled %s, want %s", got, c)
				}
				return
			}
			if code == 0 || !strings.Contains(errs, tc.wantErr) {
				t.Fatalf("pull: exit %d, %q; want %q", code, errs, tc.wantErr)
			}
		})
	}
}

// TestDummySignInteropReference has the reference check what we sign
// with the dummy engine (the one its build has: it lacks libsodium) and
// we check what it signs, for commits and for summary.sig through a
// pull with sign-verify-summary.
func TestDummySignInteropReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	// Pull builds its verifiers from the process environment, as
	// libostree reads it.
	t.Setenv("OSTREE_DUMMY_SIGN_ENABLED", "1")
	refRun := func(args ...string) (string, error) {
		cmd := exec.Command(ref, args...)
		cmd.Env = append(os.Environ(), "OSTREE_DUMMY_SIGN_ENABLED=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	rp, c := signRepo(t, "--sign=ours", "--sign-type=dummy")
	clitest.MustOurs(t, dummyOn, "--repo="+rp, "summary", "-u", "--sign-type=dummy", "--sign=ours")
	if out, err := refRun("--repo="+rp, "sign", "--verify", "-s", "dummy", c, "ours"); err != nil || out != "dummy: Signature verified\n" {
		t.Errorf("reference verify of our commit signature: %v %q", err, out)
	}
	// The reference appends its signature to ours; we verify both.
	if out, err := refRun("--repo="+rp, "sign", "-s", "dummy", c, "theirs"); err != nil {
		t.Fatalf("reference sign: %v %s", err, out)
	}
	for _, k := range []string{"ours", "theirs"} {
		clitest.MustOurs(t, dummyOn, "--repo="+rp, "sign", "--verify", "-s", "dummy", c, k)
	}
	pullWith := func(pull func(args ...string) (string, bool), src, key string) (string, bool) {
		dst := filepath.Join(t.TempDir(), "repo")
		clitest.MustOurs(t, nil, "--repo="+dst, "init", "--mode=archive")
		h, err := server.New(src, server.Options{})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer func() { srv.Close(); h.Close() }()
		clitest.MustOurs(t, nil, "--repo="+dst, "remote", "add", "--set=gpg-verify=false", "--set=sign-verify-summary=dummy",
			"--set=verification-dummy-key="+key, "origin", srv.URL)
		return pull("--repo="+dst, "pull", "origin", "main")
	}
	refPull := func(args ...string) (string, bool) { out, err := refRun(args...); return out, err == nil }
	ourPull := func(args ...string) (string, bool) {
		_, errs, code := clitest.RunOurs(t, dummyOn, args...)
		return errs, code == 0
	}
	if out, ok := pullWith(refPull, rp, "ours"); !ok {
		t.Errorf("reference pull with our summary.sig: %s", out)
	}
	if out, ok := pullWith(refPull, rp, "wrong"); ok {
		t.Errorf("reference accepted a wrong summary key: %s", out)
	}
	if out, err := refRun("--repo="+rp, "summary", "-u", "--sign-type=dummy", "--sign=theirs"); err != nil {
		t.Fatalf("reference summary: %v %s", err, out)
	}
	if out, ok := pullWith(ourPull, rp, "theirs"); !ok {
		t.Errorf("our pull with the reference's summary.sig: %s", out)
	}
	if out, ok := pullWith(ourPull, rp, "ours"); ok || !strings.Contains(out, "signature: dummy: incorrect signatures found: 1") {
		t.Errorf("our pull with a wrong summary key: %v %s", ok, out)
	}
}

// TestPreSignedFixturePull pulls libostree's libsodium-signed fixture
// through a file:// remote as test-pre-signed-pull.sh does.
func TestPreSignedFixturePull(t *testing.T) {
	dir := t.TempDir()
	tarball := filepath.Join("..", "..", "sign", "testdata", "pre-signed-pull-data.tar.gz")
	if out, err := exec.Command("tar", "-C", dir, "-xzf", tarball).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	const pub = "45yzbkuEok0lLabxzdAHWUDSMZgYfxU40sN+LMfYHVA="
	for _, tc := range []struct {
		name, key, wantErr string
	}{
		{"right key", pub, ""},
		{"wrong key", newSignKey(8).public, "ed25519: Signature couldn't be verified with: key '" + newSignKey(8).hex + "'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "repo")
			clitest.MustOurs(t, nil, "--repo="+dst, "init", "--mode=archive")
			clitest.MustOurs(t, nil, "--repo="+dst, "remote", "add", "upstream", "--set=gpg-verify=false",
				"--sign-verify=ed25519=inline:"+tc.key, "file://"+filepath.Join(dir, "repo"))
			_, errs, code := clitest.RunOurs(t, nil, "--repo="+dst, "pull", "upstream:testref")
			if (code == 0) != (tc.wantErr == "") || !strings.Contains(errs, tc.wantErr) {
				t.Fatalf("pull: exit %d %q, want %q", code, errs, tc.wantErr)
			}
		})
	}
}

func TestVersionListsEd25519(t *testing.T) {
	out := clitest.MustOurs(t, nil, "--version")
	if strings.Count(out, "  - sign-ed25519\n") != 1 {
		t.Errorf("--version:\n%s", out)
	}
}

// TestSignedSummaryCacheRecovery follows test-signed-pull-summary.sh's
// "broken cache" case: a cached summary that no longer matches its
// cached signature is fetched again, and only a verified pair is cached.
func TestSignedSummaryCacheRecovery(t *testing.T) {
	k := newSignKey(9)
	src, _ := signRepo(t, "--sign="+k.secret)
	clitest.MustOurs(t, nil, "--repo="+src, "summary", "-u", "--sign="+k.secret)
	read := func(p string) []byte {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sum1, sig1 := read(filepath.Join(src, "summary")), read(filepath.Join(src, "summary.sig"))
	clitest.MustOurs(t, nil, "--repo="+src, "commit", "-b", "other", "-s", "s", "--tree=dir="+t.TempDir(), "--sign="+k.secret)
	clitest.MustOurs(t, nil, "--repo="+src, "summary", "-u", "--sign="+k.secret)
	sum2 := read(filepath.Join(src, "summary"))
	// Serve the first pair again.
	for name, b := range map[string][]byte{"summary": sum1, "summary.sig": sig1} {
		if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := server.New(src, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	dst := filepath.Join(t.TempDir(), "repo")
	clitest.MustOurs(t, nil, "--repo="+dst, "init", "--mode=archive")
	clitest.MustOurs(t, nil, "--repo="+dst, "remote", "add", "--set=gpg-verify=false", "--set=sign-verify-summary=true",
		"--set=verification-ed25519-key="+k.public, "origin", srv.URL)
	clitest.MustOurs(t, nil, "--repo="+dst, "pull", "origin", "main")
	cached := filepath.Join(dst, "tmp", "cache", "summaries", "origin")
	if !bytes.Equal(read(cached), sum1) || !bytes.Equal(read(cached+".sig"), sig1) {
		t.Fatal("the first pull did not cache the summary")
	}
	// Break the cache: a newer summary next to the old signature.
	if err := os.WriteFile(cached, sum2, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OSTREE_REPO_TEST_ERROR", "invalid-cache")
	if _, errs, code := clitest.RunOurs(t, nil, "--repo="+dst, "pull", "origin", "main"); code == 0 ||
		errs != "error: Remote origin cached summary invalid and OSTREE_REPO_TEST_ERROR_INVALID_CACHE specified\n" {
		t.Fatalf("pull with invalid-cache: %d %q", code, errs)
	}
	if !bytes.Equal(read(cached), sum2) {
		t.Fatal("a failed pull changed the cache")
	}
	t.Setenv("OSTREE_REPO_TEST_ERROR", "")
	clitest.MustOurs(t, nil, "--repo="+dst, "pull", "origin", "main")
	if !bytes.Equal(read(cached), sum1) || !bytes.Equal(read(cached+".sig"), sig1) {
		t.Fatal("the cache was not repaired")
	}
}
