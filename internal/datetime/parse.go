package datetime

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Parse parses the date strings `ostree prune --keep-younger-than` and
// `ostree commit --timestamp` accept through gnulib's parse_datetime, for
// the common forms:
// "@EPOCH", ISO 8601 ("2015-10-29", "2015-10-29 12:43:29 +0000",
// "2015-10-29T12:43:29Z"), "October 21 2015", "21 Oct 2015", times of
// day, and relative items ("1 week ago", "3 days", "yesterday",
// "last month", "now"). Dates without a zone are local time.
func Parse(s string, now time.Time) (time.Time, error) {
	in := strings.TrimSpace(s)
	if strings.HasPrefix(in, "@") {
		n, err := strconv.ParseInt(in[1:], 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid date %q", s)
		}
		return time.Unix(n, 0), nil
	}
	p := dateParser{now: now}
	toks := strings.Fields(strings.NewReplacer(",", " ").Replace(strings.ToLower(in)))
	for i := 0; i < len(toks); i++ {
		n, err := p.token(toks, i)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid date %q: %v", s, err)
		}
		i += n
	}
	return p.result(), nil
}

var (
	isoDateRe = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:t(.*))?$`)
	timeRe    = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(.*)$`)
	zoneRe    = regexp.MustCompile(`^([+-])(\d{2}):?(\d{2})$`)
	numRe     = regexp.MustCompile(`^[+-]?\d+$`)
)

var months = map[string]time.Month{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
	"sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

var units = map[string]time.Duration{
	"second": time.Second, "sec": time.Second, "minute": time.Minute, "min": time.Minute,
	"hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour,
	"fortnight": 14 * 24 * time.Hour,
}

type dateParser struct {
	now           time.Time
	hasDate       bool
	year, day     int
	month         time.Month
	hasTime       bool
	hh, mm, ss    int
	loc           *time.Location
	relYears      int
	relMonths     int
	relDur        time.Duration
	relDays       int
	pendingRelSet bool // relative items since the last "ago"
	pending       struct {
		years, months, days int
		dur                 time.Duration
	}
}

func (p *dateParser) addRel(n int, unit string) bool {
	unit = strings.TrimSuffix(unit, "s")
	switch unit {
	case "year":
		p.pending.years += n
	case "month":
		p.pending.months += n
	case "day":
		p.pending.days += n
	case "week":
		p.pending.days += 7 * n
	case "fortnight":
		p.pending.days += 14 * n
	default:
		d, ok := units[unit]
		if !ok {
			return false
		}
		p.pending.dur += time.Duration(n) * d
	}
	p.pendingRelSet = true
	return true
}

func (p *dateParser) flushRel(sign int) {
	p.relYears += sign * p.pending.years
	p.relMonths += sign * p.pending.months
	p.relDays += sign * p.pending.days
	p.relDur += time.Duration(sign) * p.pending.dur
	p.pending.years, p.pending.months, p.pending.days, p.pending.dur = 0, 0, 0, 0
	p.pendingRelSet = false
}

func (p *dateParser) setTime(m []string) error {
	p.hasTime = true
	p.hh, _ = strconv.Atoi(m[1])
	p.mm, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		p.ss, _ = strconv.Atoi(m[3])
	}
	switch rest := m[4]; rest {
	case "":
	case "z":
		p.loc = time.UTC
	case "am", "pm":
		p.ampm(rest)
	default:
		return p.zone(rest)
	}
	return nil
}

func (p *dateParser) ampm(s string) {
	if p.hh == 12 {
		p.hh = 0
	}
	if s == "pm" {
		p.hh += 12
	}
}

func (p *dateParser) zone(s string) error {
	m := zoneRe.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("unknown item %q", s)
	}
	h, _ := strconv.Atoi(m[2])
	mi, _ := strconv.Atoi(m[3])
	off := h*3600 + mi*60
	if m[1] == "-" {
		off = -off
	}
	p.loc = time.FixedZone("", off)
	return nil
}

// token consumes toks[i] (and possibly following tokens) and returns how
// many extra tokens it used.
func (p *dateParser) token(toks []string, i int) (int, error) {
	t := toks[i]
	next := ""
	if i+1 < len(toks) {
		next = toks[i+1]
	}
	if m := isoDateRe.FindStringSubmatch(t); m != nil {
		p.hasDate = true
		p.year, _ = strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		p.month = time.Month(mo)
		p.day, _ = strconv.Atoi(m[3])
		if m[4] != "" {
			tm := timeRe.FindStringSubmatch(m[4])
			if tm == nil {
				return 0, fmt.Errorf("bad time %q", m[4])
			}
			return 0, p.setTime(tm)
		}
		return 0, nil
	}
	if m := timeRe.FindStringSubmatch(t); m != nil {
		if err := p.setTime(m); err != nil {
			return 0, err
		}
		if next == "am" || next == "pm" {
			p.ampm(next)
			return 1, nil
		}
		return 0, nil
	}
	if zoneRe.MatchString(t) && (p.hasTime || p.hasDate) {
		return 0, p.zone(t)
	}
	switch t {
	case "utc", "gmt", "z":
		p.loc = time.UTC
		return 0, nil
	case "now", "today", "this":
		return 0, nil
	case "yesterday":
		p.relDays--
		return 0, nil
	case "tomorrow":
		p.relDays++
		return 0, nil
	case "ago":
		if !p.pendingRelSet {
			return 0, fmt.Errorf("'ago' without a relative item")
		}
		p.flushRel(-1)
		return 0, nil
	case "last", "next":
		n := 1
		if t == "last" {
			n = -1
		}
		if !p.addRel(n, next) {
			return 0, fmt.Errorf("unknown unit %q", next)
		}
		return 1, nil
	}
	if mo, ok := months[strings.TrimSuffix(t, ".")]; ok {
		p.hasDate = true
		p.month = mo
		p.year = p.now.Year()
		used := 0
		for j := i + 1; j < len(toks) && used < 2 && numRe.MatchString(toks[j]); j++ {
			n, _ := strconv.Atoi(toks[j])
			if len(toks[j]) >= 3 || n > 31 || p.day != 0 {
				p.year = n
			} else {
				p.day = n
			}
			used++
		}
		if p.day == 0 {
			p.day = 1
		}
		return used, nil
	}
	if numRe.MatchString(t) {
		n, _ := strconv.Atoi(t)
		if next != "" && p.addRel(n, next) {
			return 1, nil
		}
		if mo, ok := months[next]; ok {
			// "21 october 2015"
			p.hasDate = true
			p.day = n
			p.month = mo
			p.year = p.now.Year()
			if i+2 < len(toks) && numRe.MatchString(toks[i+2]) {
				p.year, _ = strconv.Atoi(toks[i+2])
				return 2, nil
			}
			return 1, nil
		}
		return 0, fmt.Errorf("unexpected number %q", t)
	}
	if p.addRel(1, t) {
		return 0, nil
	}
	return 0, fmt.Errorf("unknown item %q", t)
}

func (p *dateParser) result() time.Time {
	p.flushRel(1)
	loc := p.loc
	if loc == nil {
		loc = time.Local
	}
	base := p.now.In(loc)
	y, mo, d := base.Date()
	hh, mm, ss, ns := base.Hour(), base.Minute(), base.Second(), base.Nanosecond()
	if p.hasDate {
		y, mo, d = p.year, p.month, p.day
		hh, mm, ss, ns = 0, 0, 0, 0
	}
	if p.hasTime {
		hh, mm, ss, ns = p.hh, p.mm, p.ss, 0
	}
	t := time.Date(y, mo, d, hh, mm, ss, ns, loc)
	t = t.AddDate(p.relYears, p.relMonths, p.relDays)
	return t.Add(p.relDur)
}
