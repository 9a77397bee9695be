package delta

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/sign"
)

// genFixture is a source repository with three commits: v1, v2 (files
// modified, added, removed; symlinks) and v3 (v2's tree again).
type genFixture struct {
	repo           string
	v1, v2, v3     object.Checksum
	v1s, v2s, v3s  string
	bigOld, bigNew []byte
}

func newGenFixture(t *testing.T, mode string) *genFixture {
	t.Helper()
	tmp := t.TempDir()
	f := &genFixture{repo: filepath.Join(tmp, "repo")}
	ostreeRef(t, f.repo, "init", "--mode="+mode)
	tree := filepath.Join(tmp, "tree")
	f.bigOld = pseudoRandom(300_000, 7)
	lib := pseudoRandom(150_000, 9)
	writeTree(t, tree, map[string]string{
		"etc/os-release":          "NAME=test\nVERSION=1\n",
		"etc/alternatives/editor": "->/usr/bin/vi",
		"usr/bin/tool":            string(f.bigOld),
		"usr/lib/libfoo.so.1.2":   string(lib),
		"usr/share/doc/a/README":  strings.Repeat("documentation line\n", 500),
		"usr/share/gone":          "removed in v2\n",
		"var/empty":               "",
	})
	f.v1s = refCommit(t, f.repo, "main", tree)
	// v2: an insertion into the big file, a renamed library with a few
	// changed bytes, new files and symlinks, one file removed.
	f.bigNew = append(append(append([]byte{}, f.bigOld[:120_000]...), "inserted bytes\n"...), f.bigOld[120_000:]...)
	lib2 := append([]byte{}, lib...)
	for i := 1000; i < len(lib2); i += 10_000 {
		lib2[i] ^= 0x55
	}
	os.Remove(filepath.Join(tree, "usr/share/gone"))
	os.Remove(filepath.Join(tree, "usr/lib/libfoo.so.1.2"))
	writeTree(t, tree, map[string]string{
		"etc/os-release":         "NAME=test\nVERSION=2\n",
		"usr/bin/tool":           string(f.bigNew),
		"usr/lib/libfoo.so.1.3":  string(lib2),
		"usr/bin/new":            strings.Repeat("a new file\n", 3000),
		"usr/bin/newlink":        "->tool",
		"usr/share/doc/b/README": strings.Repeat("other documentation\n", 400),
	})
	if err := os.Chmod(filepath.Join(tree, "usr/bin/new"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.v2s = refCommit(t, f.repo, "main", tree)
	f.v3s = refCommit(t, f.repo, "main", tree)
	f.v1, f.v2, f.v3 = mustParse(t, f.v1s), mustParse(t, f.v2s), mustParse(t, f.v3s)
	return f
}

func openRepo(t *testing.T, path string) *repo.Repo {
	t.Helper()
	r, err := repo.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// opCounts parses the reference's `static-delta show` operation counts,
// summed over parts.
func opCounts(t *testing.T, show string) map[string]int {
	t.Helper()
	out := map[string]int{}
	re := regexp.MustCompile(`(\w+)=(\d+)`)
	for _, line := range strings.Split(show, "\n") {
		if !strings.HasPrefix(line, "PartPayloadOps") {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			n, _ := strconv.Atoi(m[2])
			out[m[1]] += n
		}
	}
	return out
}

func TestGenerateReferenceApplies(t *testing.T) {
	f := newGenFixture(t, "archive")
	cases := []struct {
		name    string
		opts    GenerateOptions
		scratch bool
		// the reference's show must report at least these operations
		ops   []string
		check func(t *testing.T, show string, stats *GenerateStats)
	}{
		{
			name: "bsdiff",
			opts: GenerateOptions{MinFallbackSize: -1},
			ops:  []string{"openspliceclose", "open", "setread", "unsetread", "close", "bspatch"},
			check: func(t *testing.T, show string, s *GenerateStats) {
				// tool, the renamed libfoo, os-release and doc/b/README
				// (paired with doc/a/README, a different text).
				if s.Bsdiff < 2 || s.Modified != 4 {
					t.Errorf("bsdiff %d of %d modified, want >= 2 of 4", s.Bsdiff, s.Modified)
				}
			},
		},
		{
			name: "rollsum",
			opts: GenerateOptions{MinFallbackSize: -1, DisableBsdiff: true},
			ops:  []string{"open", "write", "setread", "unsetread", "close"},
			check: func(t *testing.T, show string, s *GenerateStats) {
				if s.Rollsum < 2 || s.Bsdiff != 0 || s.RollsumBytes < 400_000 {
					t.Errorf("rollsum %d (%d bytes), bsdiff %d; want >= 2, > 400000, 0", s.Rollsum, s.RollsumBytes, s.Bsdiff)
				}
			},
		},
		{
			name: "inline-big-endian",
			opts: GenerateOptions{MinFallbackSize: -1, Inline: true, Endianness: EndianBig},
		},
		{
			name: "small-parts",
			opts: GenerateOptions{MinFallbackSize: -1, MaxChunkSize: 10_000, DisableBsdiff: true},
			check: func(t *testing.T, show string, s *GenerateStats) {
				if len(s.Parts) < 3 {
					t.Errorf("%d parts, want several", len(s.Parts))
				}
			},
		},
		{
			name: "scratch", scratch: true,
			opts: GenerateOptions{MinFallbackSize: -1},
			ops:  []string{"openspliceclose"},
			check: func(t *testing.T, show string, s *GenerateStats) {
				if s.NewSymlinks != 2 || s.Modified != 0 {
					t.Errorf("symlinks %d modified %d; want 2, 0", s.NewSymlinks, s.Modified)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.To = f.v2
			if !tc.scratch {
				opts.From = f.v1
			}
			id := ID{From: opts.From, To: opts.To}
			dir := filepath.Join(f.repo, id.Dir())
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			stats, err := Generate(context.Background(), openRepo(t, f.repo), opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = os.Stat(filepath.Join(dir, "0"))
			if opts.Inline != os.IsNotExist(err) {
				t.Errorf("inline %v but part file 0: %v", opts.Inline, err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "superblock"))
			if err != nil {
				t.Fatal(err)
			}
			sb, _, _, err := ReadSuperblockFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			if sb.Endianness != opts.Endianness && !(opts.Endianness == 0 && sb.Endianness == EndianLittle) {
				t.Errorf("endianness %v, want %v", sb.Endianness, opts.Endianness)
			}
			show := ""
			if !opts.Inline { // 2022.7's show cannot read inline parts
				show = ostreeRef(t, f.repo, "static-delta", "show", id.String())
				counts := opCounts(t, show)
				for _, op := range tc.ops {
					if counts[op] == 0 {
						t.Errorf("no %s operation:\n%s", op, show)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, show, stats)
			}
			modes := []string{"bare-user"}
			if tc.name == "bsdiff" {
				modes = append(modes, "bare")
			}
			from := f.v1s
			if tc.scratch {
				from = ""
			}
			for _, mode := range modes {
				referenceApplies(t, mode, f.repo, dir, from, f.v2s)
			}
			// And our own applier.
			dst := filepath.Join(t.TempDir(), "dst")
			ostreeRef(t, dst, "init", "--mode=bare-user")
			if !tc.scratch {
				ostreeRef(t, dst, "pull-local", f.repo, f.v1s)
			}
			if err := applyDir(t, dst, dir); err != nil {
				t.Fatalf("gostree apply: %v", err)
			}
			ostreeRef(t, dst, "fsck")
		})
	}
}

func TestGenerateSpecialCases(t *testing.T) {
	ctx := context.Background()
	f := newGenFixture(t, "archive")
	r := openRepo(t, f.repo)

	t.Run("empty", func(t *testing.T) {
		if _, err := Generate(ctx, r, GenerateOptions{From: f.v2, To: f.v3}); err != nil {
			t.Fatal(err)
		}
		show := ostreeRef(t, f.repo, "static-delta", "show", f.v2s+"-"+f.v3s)
		for _, want := range []string{"Number of parts: 1\n", "nobjects=0", "Total Uncompressed Size: 0 (0 bytes)"} {
			if !strings.Contains(show, want) {
				t.Errorf("show lacks %q:\n%s", want, show)
			}
		}
	})

	t.Run("detached-metadata", func(t *testing.T) {
		v4s := strings.TrimSpace(ostreeRef(t, f.repo, "commit", "-b", "other", "--tree=ref="+f.v2s,
			"--add-detached-metadata-string=test.key=test-value", "-s", "v4"))
		v4 := mustParse(t, v4s)
		if _, err := Generate(ctx, r, GenerateOptions{From: f.v2, To: v4}); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(t.TempDir(), "dst")
		ostreeRef(t, dst, "init", "--mode=bare-user")
		ostreeRef(t, dst, "pull-local", f.repo, f.v2s)
		ostreeRef(t, dst, "static-delta", "apply-offline", filepath.Join(f.repo, ID{From: f.v2, To: v4}.Dir()))
		if got := ostreeRef(t, dst, "show", "--print-detached-metadata-key=test.key", v4s); strings.TrimSpace(got) != "'test-value'" {
			t.Errorf("detached metadata after apply: %q", got)
		}
	})

	t.Run("filename", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "some.delta")
		if _, err := Generate(ctx, r, GenerateOptions{To: f.v2, Filename: out, MinFallbackSize: -1}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"some.delta", "0"} {
			if _, err := os.Stat(filepath.Join(filepath.Dir(out), name)); err != nil {
				t.Error(err)
			}
		}
		if _, err := os.Stat(filepath.Join(f.repo, ID{To: f.v2}.Dir())); !os.IsNotExist(err) {
			t.Errorf("the repository got a delta directory: %v", err)
		}
		dst := filepath.Join(t.TempDir(), "dst")
		ostreeRef(t, dst, "init", "--mode=bare-user")
		ostreeRef(t, dst, "static-delta", "apply-offline", out)
		ostreeRef(t, dst, "fsck")
	})

	t.Run("signed", func(t *testing.T) {
		t.Setenv("OSTREE_DUMMY_SIGN_ENABLED", "1")
		s, err := sign.Get("dummy")
		if err != nil {
			t.Fatal(err)
		}
		id := ID{From: f.v1, To: f.v2}
		if _, err := Generate(ctx, r, GenerateOptions{From: f.v1, To: f.v2, Signer: s, SignKeys: []string{"dummysign"}}); err != nil {
			t.Fatal(err)
		}
		if out := ostreeRef(t, f.repo, "static-delta", "verify", "--sign-type=dummy", id.String(), "dummysign"); !strings.Contains(out, "Verification OK") {
			t.Errorf("verify: %s", out)
		}
		dst := filepath.Join(t.TempDir(), "dst")
		ostreeRef(t, dst, "init", "--mode=bare-user")
		ostreeRef(t, dst, "pull-local", f.repo, f.v1s)
		ostreeRef(t, dst, "static-delta", "apply-offline", "--sign-type=dummy", filepath.Join(f.repo, id.Dir()), "dummysign")
		ostreeRef(t, dst, "fsck")

		// ed25519: the reference may lack libsodium, so check with our engine.
		pub, sec := testEd25519Keys(t)
		ed, err := sign.Get("ed25519")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Generate(ctx, r, GenerateOptions{From: f.v1, To: f.v2, Signer: ed, SignKeys: []string{sec}}); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(f.repo, id.SuperblockPath()))
		if err != nil {
			t.Fatal(err)
		}
		_, unsigned, signed, err := ReadSuperblockFile(raw)
		if err != nil || signed == nil {
			t.Fatalf("signed superblock: %v, %v", signed, err)
		}
		sigs, _ := signed.SignaturesFor("ostree.sign.ed25519")
		v, err := sign.Get("ed25519")
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SetPublicKey(pub); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, unsigned, sigs); err != nil {
			t.Errorf("ed25519 verify: %v", err)
		}
	})

	// Fallbacks are fetched by pulls, not offline: pull through the delta
	// from the repository itself and over HTTP.
	t.Run("fallbacks-pull", func(t *testing.T) {
		stats, err := Generate(ctx, r, GenerateOptions{To: f.v2, MinFallbackSize: 100_000})
		if err != nil {
			t.Fatal(err)
		}
		if len(stats.Fallbacks) != 2 {
			t.Fatalf("%d fallbacks, want 2 (tool and libfoo)", len(stats.Fallbacks))
		}
		if _, err := Generate(ctx, r, GenerateOptions{From: f.v2, To: f.v3}); err != nil {
			t.Fatal(err)
		}
		ostreeRef(t, f.repo, "summary", "-u")
		dst := filepath.Join(t.TempDir(), "dst")
		ostreeRef(t, dst, "init", "--mode=bare-user")
		ostreeRef(t, dst, "pull-local", "--require-static-deltas", f.repo, f.v2s)
		ostreeRef(t, dst, "fsck")

		h, err := server.New(f.repo, server.Options{})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		dst = filepath.Join(t.TempDir(), "dst")
		ostreeRef(t, dst, "init", "--mode=bare-user")
		ostreeRef(t, dst, "remote", "add", "--no-gpg-verify", "origin", srv.URL)
		ostreeRef(t, dst, "pull", "--require-static-deltas", "origin", f.v2s)  // scratch delta
		ostreeRef(t, dst, "pull", "--require-static-deltas", "origin", "main") // v2 → v3
		ostreeRef(t, dst, "fsck")
		if got := strings.TrimSpace(ostreeRef(t, dst, "rev-parse", "origin:main")); got != f.v3s {
			t.Errorf("pulled %s, want %s", got, f.v3s)
		}
	})
}

// testEd25519Keys returns a deterministic key pair in ostree's base64
// forms: the public key and the 64-byte secret (seed‖public).
func testEd25519Keys(t *testing.T) (pub, sec string) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, ed25519.SeedSize))
	return base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), base64.StdEncoding.EncodeToString(priv)
}

// TestGenerateLargeReferenceApplies makes parts larger than the xz
// dictionary, mixing program code with incompressible files (stored
// without the match finder, which then jumps ahead), and has the
// reference apply and fsck the result: the code paths only a real OS
// tree reaches otherwise.
func TestGenerateLargeReferenceApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses about 16 MiB")
	}
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil || len(exe) < 6<<20 {
		t.Skip("needs the test binary (6 MiB or more) as sample data")
	}
	tmp := t.TempDir()
	src := filepath.Join(tmp, "repo")
	ostreeRef(t, src, "init", "--mode=archive")
	files := map[string]string{}
	for i := range 4 {
		// Overlapping slices of the binary, so later files match earlier
		// ones across the random files in between.
		// (One extension: parts group files by it, then by name.)
		files[filepath.Join("usr/lib", "lib"+strconv.Itoa(2*i)+".so")] = string(exe[i<<20 : i<<20+3<<20])
		files[filepath.Join("usr/lib", "lib"+strconv.Itoa(2*i+1)+".so")] = string(pseudoRandom(600_000, uint32(i)))
	}
	tree := filepath.Join(tmp, "tree")
	writeTree(t, tree, files)
	to := refCommit(t, src, "main", tree)
	opts := GenerateOptions{To: mustParse(t, to), MinFallbackSize: -1}
	if _, err := Generate(context.Background(), openRepo(t, src), opts); err != nil {
		t.Fatal(err)
	}
	referenceApplies(t, "bare-user", src, filepath.Join(src, ID{To: opts.To}.Dir()), "", to)
}

// referenceApplies has the reference apply-offline the delta in dir, in
// a new repository of the given mode holding from (pulled from src;
// none for a scratch delta), fsck it, and find to's tree as in src.
func referenceApplies(t *testing.T, mode, src, dir, from, to string) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "dst")
	ostreeRef(t, dst, "init", "--mode="+mode)
	if from != "" {
		ostreeRef(t, dst, "pull-local", src, from)
	}
	ostreeRef(t, dst, "static-delta", "apply-offline", dir)
	ostreeRef(t, dst, "fsck")
	if got, want := ostreeRef(t, dst, "ls", "-R", "-C", to), ostreeRef(t, src, "ls", "-R", "-C", to); got != want {
		t.Errorf("%s: tree differs:\n%s\nwant\n%s", mode, got, want)
	}
}
