package commit

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	now := time.Unix(1600000000, 0)
	for _, tc := range []struct {
		in   string
		want uint64
		err  bool
	}{
		{"@1234567890", 1234567890, false},
		{"@0", 0, false},
		{" @42 ", 42, false},
		{"@1.9", 1, false},
		{"2005-10-29 12:43:29 +0000", 1130589809, false},
		{"2020-01-01T00:00:00Z", 1577836800, false},
		{"2020-01-01 10:00 +05:30", 1577853000, false},
		{"2020-01-01 04:30 UTC", 1577853000, false},
		{"now", 1600000000, false},
		{"garbage", 0, true},
		{"2020-13-01", 0, true},
		{"2021-02-30 00:00 Z", 0, true},
		{"@", 0, true},
	} {
		got, err := ParseTimestamp(tc.in, now)
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), "Could not parse '"+tc.in+"'") {
				t.Errorf("ParseTimestamp(%q) = %d, %v; want an error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTimestampLocal(t *testing.T) {
	old := time.Local
	defer func() { time.Local = old }()
	time.Local = time.FixedZone("X", 3600)
	got, err := ParseTimestamp("2020-01-01 01:00:00", time.Now())
	if err != nil || got != 1577836800 {
		t.Errorf("local time: got %d, %v", got, err)
	}
}

func TestSourceDateEpoch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		err  string
	}{
		{"1234567890", 1234567890, ""},
		{"  42abc", 42, ""},
		{"+7", 7, ""},
		{"invalid", 0, "Failed to convert SOURCE_DATE_EPOCH"},
		{"12345678901234567890", 0, "Parsing SOURCE_DATE_EPOCH: Numerical result out of range"},
	} {
		got, err := SourceDateEpoch(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("SourceDateEpoch(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("SourceDateEpoch(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
