package interop2025

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"strings"
	"testing"
)

// TestRepoReadsAlike: a repository committed by each side (identical
// commits, so identical checksums) is read by both: refs --revision and
// show's metadata key listing and printing, new in 2025.2.
func TestRepoReadsAlike(t *testing.T) {
	s := getSuite(t)
	for _, writer := range []string{ref, ours} {
		t.Run("written by "+writer, func(t *testing.T) {
			dir := s.tempDir(t)
			writeOSTree(t, s.host(dir+"/tree"), "1")
			repo := "--repo=" + dir + "/repo"
			s.must(t, nil, writer, "init", repo, "--mode=archive")
			csum := strings.TrimSpace(s.must(t, nil, writer, "commit", repo, "-b", "main", "--tree=dir="+dir+"/tree", ts1,
				"--add-metadata-string=version=1", "--add-metadata=bytes=[byte 0x01, 0x02]", "--add-detached-metadata-string=note=hi"))
			s.must(t, nil, writer, "refs", repo, "--create=other", "main")
			for _, args := range [][]string{
				{"refs", "--revision"},
				{"show", "--list-metadata-keys", "main"},
				{"show", "--list-detached-metadata-keys", "main"},
				{"show", "--print-metadata-key=version", "main"},
				{"show", "--print-metadata-key=bytes", "main"},
				{"show", "--print-hex", "--print-metadata-key=bytes", "main"},
				{"show", "--print-detached-metadata-key=note", "main"},
				{"show", "--print-metadata-key=nosuch", "main"},
				{"rev-parse", "main"},
			} {
				full := append([]string{repo}, args...)
				want := s.run(t, nil, "", ref, full...)
				got := s.run(t, nil, "", ours, full...)
				if want != got {
					t.Errorf("%s:\nreference: %s\nours: %s", strings.Join(args, " "), want, got)
				}
			}
			if !strings.Contains(s.must(t, nil, ref, repo, "refs", "--revision"), csum) {
				t.Errorf("refs --revision does not show %s", csum)
			}
		})
	}
}

// TestSignFromFileEd25519: Debian's libostree 2025.2 is built without
// ed25519, so the exchange is one way: we sign with --sign-from-file,
// the reference finds and prints the signature we verify, and refuses
// to sign itself.
func TestSignFromFileEd25519(t *testing.T) {
	s := getSuite(t)
	dir := s.tempDir(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.host(dir+"/secret"), []byte(base64.StdEncoding.EncodeToString(priv)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.host(dir+"/public"), []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeOSTree(t, s.host(dir+"/tree"), "1")
	repo := "--repo=" + dir + "/repo"
	s.must(t, nil, ref, "init", repo, "--mode=archive")
	s.must(t, nil, ours, "commit", repo, "-b", "main", "--tree=dir="+dir+"/tree", "--sign-from-file="+dir+"/secret", "--sign-type=ed25519")
	keys := s.must(t, nil, ref, repo, "show", "--list-detached-metadata-keys", "main")
	if keys != "ostree.sign.ed25519\n" {
		t.Fatalf("reference lists detached keys %q", keys)
	}
	want := s.must(t, nil, ref, repo, "show", "--print-detached-metadata-key=ostree.sign.ed25519", "main")
	if got := s.must(t, nil, ours, repo, "show", "--print-detached-metadata-key=ostree.sign.ed25519", "main"); got != want {
		t.Errorf("signature printed differently:\nreference: %s\nours: %s", want, got)
	}
	s.must(t, nil, ours, repo, "sign", "--verify", "--sign-type=ed25519", "--keys-file="+dir+"/public", "main")
	if r := s.run(t, nil, "", ref, repo, "commit", "-b", "main", "--tree=dir="+dir+"/tree", "--sign-from-file="+dir+"/secret", "--sign-type=ed25519"); r.code == 0 {
		t.Errorf("the reference signed with ed25519; the test's premise is gone, let it verify ours:\n%s", r)
	}
}
