package commit

import (
	"github.com/gostree/gostree/internal/datetime"

	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ParseTimestamp parses --timestamp values the way the common forms of
// gnulib's parse_datetime read them: "@SECONDS", "YYYY-MM-DD",
// "YYYY-MM-DD[ T]HH:MM[:SS[.frac]]" with an optional zone ("Z", "UTC",
// "+HH", "+HHMM", "+HH:MM"); times without a zone are local. now is the
// reference for "now".
func ParseTimestamp(s string, now time.Time) (uint64, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("Could not parse '%s'", s)
	if rest, ok := strings.CutPrefix(t, "@"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, bad
		}
		return uint64(int64(math.Floor(f))), nil
	}
	if strings.EqualFold(t, "now") || strings.EqualFold(t, "today") {
		return uint64(now.Unix()), nil
	}
	m := dateRe.FindStringSubmatch(t)
	if m == nil {
		// Free-form dates ("October 25 1985"), as parse_datetime reads
		// them.
		d, err := datetime.Parse(t, now)
		if err != nil {
			return 0, bad
		}
		// Dates before 1970 wrap around, as g_date_time_to_unix's
		// result does when libostree stores it as a guint64.
		return uint64(d.Unix()), nil
	}
	atoi := func(x string) int {
		if x == "" {
			return 0
		}
		n, _ := strconv.Atoi(x)
		return n
	}
	year, mon, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	hour, min, sec := atoi(m[4]), atoi(m[5]), atoi(m[6])
	if mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 24 || min > 59 || sec > 60 {
		return 0, bad
	}
	loc := time.Local
	if z := m[8]; z != "" {
		l, err := parseZone(z)
		if err != nil {
			return 0, bad
		}
		loc = l
	}
	tm := time.Date(year, time.Month(mon), day, hour, min, sec, 0, loc)
	if tm.Day() != day {
		return 0, bad
	}
	return uint64(tm.Unix()), nil
}

var dateRe = regexp.MustCompile(`^(\d{1,4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[Uu][Tt][Cc]|[Gg][Mm][Tt]|[+-]\d{1,2}(?::?\d{2})?)?$`)

func parseZone(z string) (*time.Location, error) {
	switch strings.ToUpper(z) {
	case "Z", "UTC", "GMT":
		return time.UTC, nil
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	var h, m int
	switch len(digits) {
	case 1, 2:
		h, _ = strconv.Atoi(digits)
	case 3, 4:
		h, _ = strconv.Atoi(digits[:len(digits)-2])
		m, _ = strconv.Atoi(digits[len(digits)-2:])
	default:
		return nil, errors.New("bad zone")
	}
	if h > 24 || m > 59 {
		return nil, errors.New("bad zone")
	}
	return time.FixedZone("", sign*(h*3600+m*60)), nil
}

// ErrSourceDateEpoch is wrapped by errors about SOURCE_DATE_EPOCH.
var errRange = errors.New("Numerical result out of range")

// SourceDateEpoch parses $SOURCE_DATE_EPOCH as g_ascii_strtoll(s, 10)
// does: leading blanks and a sign, then digits; trailing text is ignored.
func SourceDateEpoch(s string) (uint64, error) {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	j := i
	for j < len(t) && t[j] >= '0' && t[j] <= '9' {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("Failed to convert SOURCE_DATE_EPOCH")
	}
	n, err := strconv.ParseInt(t[:j], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Parsing SOURCE_DATE_EPOCH: %w", errRange)
	}
	return uint64(n), nil
}
