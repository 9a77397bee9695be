package clikit

import "testing"

func TestFormatSizeGLib(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0 bytes", 1: "1 byte", 999: "999 bytes", 1000: "1.0\u00a0kB", 5500: "5.5\u00a0kB",
		999999: "1000.0\u00a0kB", 1000000: "1.0\u00a0MB", 2500000000: "2.5\u00a0GB",
	} {
		if got := FormatSizeGLib(n); got != want {
			t.Errorf("formatSizeGLib(%d) = %q, want %q", n, got, want)
		}
	}
}
