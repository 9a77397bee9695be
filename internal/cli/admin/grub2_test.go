package admin

import "testing"

func TestStrtoul32(t *testing.T) {
	// Expected values are what the reference reports for
	// `ostree admin instutil grub2-generate ARG` ("Invalid bootversion: N").
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0},
		{"0", 0},
		{"1", 1},
		{"1x", 1},
		{" 1", 1},
		{"+1", 1},
		{"x1", 0},
		{"7", 7},
		{"-1", 4294967295},
		{"4294967297", 1},
		{"99999999999999999999999", 4294967295},
	} {
		if got := strtoul32(tc.in); got != tc.want {
			t.Errorf("strtoul32(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
