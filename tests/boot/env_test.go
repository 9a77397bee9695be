package boot

import "testing"

// The mirror comes from the machine's apt sources; these are made-up URLs.
func TestMirrorFromAptSources(t *testing.T) {
	sources := []struct{ name, text, want string }{
		{"main stanza", "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n", "http://mirror.example/debian"},
		{"security first", "Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n", "http://mirror.example/debian"},
		{"other release", "Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie\n", ""},
	}
	for _, tc := range sources {
		if got := mirrorFromSources(tc.text); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	lists := []struct{ name, text, want string }{
		{"plain", "deb http://mirror.example/debian bookworm main\n", "http://mirror.example/debian"},
		{"options", "# c\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n", "http://mirror.example/debian"},
		{"deb-src and updates only", "deb-src http://a.example/debian bookworm main\ndeb http://b.example/debian bookworm-updates main\n", ""},
	}
	for _, tc := range lists {
		if got := mirrorFromList(tc.text); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
