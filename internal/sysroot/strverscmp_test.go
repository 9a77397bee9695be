package sysroot

import "testing"

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// TestStrverscmp pins the orderings glibc documents and BLS versions use.
func TestStrverscmp(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1", "2", -1},
		{"2", "10", -1},
		{"10", "9", 1},
		{"3", "3", 0},
		{"000", "00", -1},
		{"00", "01", -1},
		{"01", "010", -1},
		{"010", "09", -1},
		{"09", "0", -1},
		{"0", "1", -1},
		{"1", "9", -1},
		{"9", "10", -1},
		{"a1", "a2", -1},
		{"1.0.10", "1.0.9", 1},
		{"abc", "abd", -1},
		{"ab", "abc", -1},
	} {
		if got := sign(strverscmp(tc.a, tc.b)); got != tc.want {
			t.Errorf("strverscmp(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := sign(strverscmp(tc.b, tc.a)); got != -tc.want {
			t.Errorf("strverscmp(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}
