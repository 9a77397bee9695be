package ref

import "testing"

func TestValidateRef(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"main", true}, {"exampleos/x86_64/stable", true}, {"a.b-c_d", true}, {"9", true},
		{"", false}, {"/a", false}, {"a/", false}, {"a//b", false}, {".a", false}, {"-a", false},
		{"a b", false}, {"a:b", false}, {"a/../b", false},
	} {
		if err := ValidateRef(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateRef(%q) = %v", tc.name, err)
		}
	}
}

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec("origin:exampleos/stable")
	if err != nil || s.Remote != "origin" || s.Ref != "exampleos/stable" || s.String() != "origin:exampleos/stable" {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := ParseSpec("bad remote:x"); err == nil {
		t.Error("accepted a bad remote")
	}
}

func TestValidateCollectionID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{{"org.example.Os", true}, {"a.b", true}, {"single", false}, {"org.1abc", false}, {"", false}, {"a..b", false}} {
		if err := ValidateCollectionID(tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidateCollectionID(%q) = %v", tc.id, err)
		}
	}
}
