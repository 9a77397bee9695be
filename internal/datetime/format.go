package datetime

import (
	"os"
	"strings"
	"time"
)

// FormatC formats t as GLib's g_date_time_format(t, "%c") does in the C
// locale, as libostree prints signature times: "Mon Dec 14 08:39:06
// 2026". GLib pads a one-digit day (%e) with a figure space (U+2007),
// and its printing converts text to the locale's charset with "?" for
// what the charset lacks, so the pad reads "?" unless the locale is
// UTF-8.
func FormatC(t time.Time) string {
	s := t.Format("Mon Jan _2 15:04:05 2006")
	if t.Day() >= 10 {
		return s
	}
	pad := "?"
	if localeIsUTF8(os.Getenv) {
		pad = "\u2007"
	}
	return s[:8] + pad + s[9:]
}

// localeIsUTF8 tells whether setlocale(LC_ALL, "") would pick a UTF-8
// charset: the first of LC_ALL, LC_CTYPE and LANG that is set decides,
// and C, POSIX or nothing mean ASCII.
func localeIsUTF8(getenv func(string) string) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		_, codeset, _ := strings.Cut(v, ".")
		codeset, _, _ = strings.Cut(codeset, "@")
		c := strings.ToLower(strings.ReplaceAll(codeset, "-", ""))
		return c == "utf8"
	}
	return false
}
