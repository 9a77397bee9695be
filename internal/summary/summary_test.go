package summary

import (
	"bytes"
	"errors"
	"math/bits"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

func sum(b byte) object.Checksum {
	var c object.Checksum
	for i := range c {
		c[i] = b + byte(i)
	}
	return c
}

func TestMarshalRoundTrip(t *testing.T) {
	ts := gvariant.NewVariant("t", bits.ReverseBytes64(1700000000))
	cases := []struct {
		name string
		s    Summary
	}{
		{"empty", Summary{Refs: []Ref{}, Metadata: object.Metadata{}}},
		{"refs", Summary{
			Refs: []Ref{
				{Name: "a", CommitSize: 158, Checksum: sum(1), Metadata: object.Metadata{{Key: KeyCommitTimestamp, Value: ts}}},
				{Name: "b/c", CommitSize: 1 << 40, Checksum: sum(2), Metadata: object.Metadata{{Key: KeyCommitTimestamp, Value: ts}, {Key: KeyCommitVersion, Value: gvariant.NewVariant("s", "1.0")}}},
			},
			Metadata: object.Metadata{
				{Key: KeyMode, Value: gvariant.NewVariant("s", "archive-z2")},
				{Key: KeyLastModified, Value: ts},
				{Key: KeyIndexedDeltas, Value: gvariant.NewVariant("b", true)},
			},
		}},
		{"collections", Summary{
			Refs: []Ref{{Name: "x", CommitSize: 1, Checksum: sum(3), Metadata: object.Metadata{}}},
			Metadata: object.Metadata{
				{Key: KeyCollectionID, Value: gvariant.NewVariant("s", "org.example.Main")},
				{Key: KeyCollectionMap, Value: collectionMapValue([]Collection{{ID: "org.example.Other", Refs: []Ref{{Name: "y", CommitSize: 2, Checksum: sum(4), Metadata: object.Metadata{}}}}})},
			},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Marshal(&tc.s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) {
				t.Errorf("re-marshal differs:\n%x\n%x", b, b2)
			}
			if diff := cmp.Diff(len(tc.s.Refs), len(got.Refs)); diff != "" {
				t.Error(diff)
			}
			for i := range tc.s.Refs {
				if got.Refs[i].Name != tc.s.Refs[i].Name || got.Refs[i].Checksum != tc.s.Refs[i].Checksum || got.Refs[i].CommitSize != tc.s.Refs[i].CommitSize {
					t.Errorf("ref %d = %+v, want %+v", i, got.Refs[i], tc.s.Refs[i])
				}
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	ts := gvariant.NewVariant("t", bits.ReverseBytes64(1700000000))
	s := &Summary{
		Refs: []Ref{
			{Name: "a", Checksum: sum(1), Metadata: object.Metadata{{Key: KeyCommitTimestamp, Value: ts}, {Key: KeyCommitVersion, Value: gvariant.NewVariant("s", "2")}}},
			{Name: "b", Checksum: sum(2)},
			{Name: "c", Checksum: sum(3)},
		},
		Metadata: object.Metadata{
			{Key: KeyLastModified, Value: ts},
			{Key: KeyStaticDeltas, Value: gvariant.Variant{Type: object.MetadataType, Value: []any{gvariant.DictEntry{Key: "abc", Value: gvariant.NewVariant("ay", []byte{1, 2})}}}},
			{Key: KeyCollectionID, Value: gvariant.NewVariant("s", "org.example.C")},
		},
	}
	if r, ok := s.FindRef("b"); !ok || r.Checksum != sum(2) {
		t.Errorf("FindRef(b) = %v, %v", r, ok)
	}
	if _, ok := s.FindRef("bb"); ok {
		t.Error("FindRef(bb) found something")
	}
	if ts, ok := s.Refs[0].Timestamp(); !ok || ts != 1700000000 {
		t.Errorf("Timestamp = %d, %v", ts, ok)
	}
	if v, ok := s.Refs[0].Version(); !ok || v != "2" {
		t.Errorf("Version = %q, %v", v, ok)
	}
	if lm, ok := s.LastModified(); !ok || lm != 1700000000 {
		t.Errorf("LastModified = %d, %v", lm, ok)
	}
	if id, ok := s.CollectionID(); !ok || id != "org.example.C" {
		t.Errorf("CollectionID = %q, %v", id, ok)
	}
	if d := s.StaticDeltas(); !cmp.Equal(d, map[string][]byte{"abc": {1, 2}}) {
		t.Errorf("StaticDeltas = %v", d)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := Marshal(&Summary{Refs: []Ref{{Name: "a", Checksum: sum(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	bad32, _ := gvariant.Marshal(Type, []any{[]any{[]any{"a", []any{uint64(1), []byte{1, 2}, []any{}}}}, []any{}})
	for name, b := range map[string][]byte{
		"truncated":     good[:len(good)-1],
		"short csum":    bad32,
		"trailing junk": append(append([]byte{}, good...), 0),
	} {
		if _, err := Unmarshal(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	b, _ := Marshal(&Summary{Refs: []Ref{{Name: "a", CommitSize: 3, Checksum: sum(1)}}, Metadata: object.Metadata{{Key: KeyMode, Value: gvariant.NewVariant("s", "bare")}}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Unmarshal(data)
		if err != nil {
			return
		}
		out, err := Marshal(s)
		if err != nil {
			t.Fatalf("re-marshal: %v", err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("normal-form input did not round-trip")
		}
		s.Collections()
	})
}
