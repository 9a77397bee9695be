package composefs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// sharedVectors is libcomposefs's test assets, next to the project root.
const sharedVectors = "../../../shared/composefs-vectors"

// vector is one dump with the image hash libcomposefs gives it.
type vector struct {
	name    string
	dump    []byte
	sha256  string // empty for should-fail vectors
	version int    // -1: mkcomposefs defaults (min 0, max 1)
	strict  bool
}

// nonStrict are the assets libcomposefs's own test parses without
// CFS_PARSE_STRICT.
var nonStrict = map[string]bool{
	"no-newline.dump": true, "longlink.dump": true, "honggfuzz-longlink-unterminated.dump": true,
}

// loadVectors reads every vector in dir. A dump whose content is the name
// of another file there is a symbolic link stored as text.
func loadVectors(t testing.TB, dir string) []vector {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".dump") && !strings.HasSuffix(name, ".dump.gz") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if alias := strings.TrimSpace(string(b)); len(b) < 256 && !strings.ContainsAny(alias, " /") {
			if ab, err := os.ReadFile(filepath.Join(dir, alias)); err == nil {
				b = ab
			}
		}
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		// libcomposefs parses should-fail vectors without strict mode.
		fail := strings.HasPrefix(name, "should-fail-")
		v := vector{name: name, dump: b, version: -1, strict: !nonStrict[name] && !fail}
		if !fail {
			sum, err := os.ReadFile(filepath.Join(dir, name+".sha256"))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			v.sha256 = strings.Fields(string(sum))[0]
			if ver, err := os.ReadFile(filepath.Join(dir, name+".version")); err == nil {
				if v.version, err = strconv.Atoi(strings.TrimSpace(string(ver))); err != nil {
					t.Fatalf("%s.version: %v", name, err)
				}
			}
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		t.Fatalf("no vectors in %s", dir)
	}
	return vs
}

// sharedVectorDir returns the shared vector directory, or skips.
func sharedVectorDir(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(sharedVectors); err != nil {
		testutil.Skip(t, "shared composefs vectors missing: "+err.Error())
	}
	return sharedVectors
}

func (v vector) options() Options {
	if v.version < 0 {
		return Options{Version: 0, MaxVersion: 1}
	}
	return Options{Version: v.version, MaxVersion: v.version}
}

func (v vector) parse() (*Node, error) {
	if v.strict {
		return ParseDumpStrict(bytes.NewReader(v.dump))
	}
	return ParseDump(bytes.NewReader(v.dump))
}

func buildImage(v vector) ([]byte, error) {
	root, err := v.parse()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := WriteImage(&buf, root, v.options()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func checkVectors(t *testing.T, vs []vector) {
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			img, err := buildImage(v)
			if v.sha256 == "" {
				if err == nil {
					t.Fatalf("should-fail vector accepted")
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(img)
			if got := hex.EncodeToString(sum[:]); got != v.sha256 {
				t.Fatalf("image sha256 %s, want %s (%d bytes)", got, v.sha256, len(img))
			}
		})
	}
}

func TestVectorsShared(t *testing.T) {
	checkVectors(t, loadVectors(t, sharedVectorDir(t)))
}

func TestVectorsTestdata(t *testing.T) {
	checkVectors(t, loadVectors(t, "testdata/vectors"))
}

// sharedVectorDirOptional returns the shared vector directory if present.
func sharedVectorDirOptional() string {
	if _, err := os.Stat(sharedVectors); err != nil {
		return ""
	}
	return sharedVectors
}
