package datetime_test

import (
	"testing"
	"time"

	"github.com/gostree/gostree/internal/datetime"
)

func TestParse(t *testing.T) {
	now := time.Date(2020, 6, 15, 12, 30, 0, 0, time.UTC)
	utc := func(y int, m time.Month, d, hh, mm, ss int) time.Time {
		return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
	}
	local := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.Local) }
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2015-10-29 12:43:29 +0000", utc(2015, 10, 29, 12, 43, 29)},
		{"2015-10-29T12:43:29Z", utc(2015, 10, 29, 12, 43, 29)},
		{"2015-10-29 14:43:29 +02:00", utc(2015, 10, 29, 12, 43, 29)},
		{"@1700000000", time.Unix(1700000000, 0)},
		{"October 25 1985", local(1985, 10, 25)},
		{"October 21, 2015", local(2015, 10, 21)},
		{"21 oct 2015", local(2015, 10, 21)},
		{"1985-10-25", local(1985, 10, 25)},
		{"1 week ago", now.Add(-7 * 24 * time.Hour)},
		{"2 days ago", now.Add(-48 * time.Hour)},
		{"3 hours", now.Add(3 * time.Hour)},
		{"yesterday", now.Add(-24 * time.Hour)},
		{"last month", now.AddDate(0, -1, 0)},
		{"now", now},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := datetime.Parse(tc.in, now)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("Parse(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"BACON", "next tuesdayish", "@x"} {
		if _, err := datetime.Parse(bad, now); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}
