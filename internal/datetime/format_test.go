package datetime

import (
	"testing"
	"time"
)

func TestFormatCPadsOneDigitDays(t *testing.T) {
	late := time.Date(2026, 12, 14, 8, 39, 6, 0, time.UTC)
	early := time.Date(2026, 12, 7, 8, 39, 6, 0, time.UTC)
	for _, tc := range []struct {
		lang string
		when time.Time
		want string
	}{
		{"C.UTF-8", late, "Mon Dec 14 08:39:06 2026"},
		{"C", late, "Mon Dec 14 08:39:06 2026"},
		{"C.UTF-8", early, "Mon Dec \u20077 08:39:06 2026"},
		{"en_US.utf8", early, "Mon Dec \u20077 08:39:06 2026"},
		{"C", early, "Mon Dec ?7 08:39:06 2026"},
		{"", early, "Mon Dec ?7 08:39:06 2026"},
	} {
		t.Setenv("LC_ALL", "")
		t.Setenv("LC_CTYPE", "")
		t.Setenv("LANG", tc.lang)
		if got := FormatC(tc.when); got != tc.want {
			t.Errorf("LANG=%q %v: got %q, want %q", tc.lang, tc.when, got, tc.want)
		}
	}
}

func TestLocaleIsUTF8Precedence(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"LC_ALL": "C", "LANG": "C.UTF-8"}, false},
		{map[string]string{"LC_CTYPE": "de_DE.UTF-8@euro", "LANG": "C"}, true},
		{map[string]string{"LANG": "POSIX"}, false},
		{map[string]string{"LANG": "en_GB.ISO-8859-1"}, false},
		{map[string]string{}, false},
	} {
		if got := localeIsUTF8(env(tc.env)); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.env, got, tc.want)
		}
	}
}
