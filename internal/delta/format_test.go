package delta

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/object"
)

func TestSuperblockRoundTripReference(t *testing.T) {
	repo, from, to := refTwoCommits(t, "archive")
	cases := []struct {
		name string
		args []string
		id   string
	}{
		{"from-to", []string{"--from=" + from, "--to=" + to}, from + "-" + to},
		{"scratch", []string{"--empty", "--to=" + to}, to},
		{"inline", []string{"--inline", "--from=" + from, "--to=" + to}, from + "-" + to},
		{"swapped", []string{"--swap-endianness", "--from=" + from, "--to=" + to}, from + "-" + to},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ostreeRef(t, repo, append([]string{"static-delta", "generate"}, tc.args...)...)
			id, err := ParseID(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if id.String() != tc.id {
				t.Fatalf("ID round trip: %s", id)
			}
			raw, err := os.ReadFile(filepath.Join(repo, id.SuperblockPath()))
			if err != nil {
				t.Fatal(err)
			}
			sb, err := UnmarshalSuperblock(raw)
			if err != nil {
				t.Fatal(err)
			}
			if sb.ID() != id {
				t.Errorf("ID = %s, want %s", sb.ID(), id)
			}
			if object.Sum(sb.Commit) != id.To {
				t.Errorf("embedded commit mismatch")
			}
			again, err := sb.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, raw) {
				t.Errorf("Marshal does not reproduce the reference superblock")
			}
			wantEndian := EndianLittle
			if tc.name == "swapped" {
				wantEndian = EndianBig
			}
			if sb.Endianness != wantEndian || sb.Heuristic {
				t.Errorf("endianness %v heuristic %v", sb.Endianness, sb.Heuristic)
			}
			for i, p := range sb.Parts {
				if p.Size == 0 || p.Size > 1<<30 {
					t.Errorf("part %d size %d not decoded", i, p.Size)
				}
				var file []byte
				if tc.name == "inline" {
					var ok bool
					if file, ok = sb.InlinePart(i); !ok {
						t.Fatalf("part %d not inline", i)
					}
				} else if file, err = os.ReadFile(filepath.Join(repo, id.PartPath(i))); err != nil {
					t.Fatal(err)
				} else if object.Sum(file) != p.Checksum || uint64(len(file)) != p.Size {
					t.Errorf("part %d checksum/size mismatch", i)
				}
				_ = file
			}
		})
	}
}
