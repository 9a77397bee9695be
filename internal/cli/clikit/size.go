package clikit

import "fmt"

// FormatSizeGLib formats a byte count like g_format_size (GLib 2.74):
// "N bytes" below 1 kB, else decimal units with one decimal separated by
// a no-break space ("5.5\u00a0kB").
func FormatSizeGLib(n uint64) string {
	if n < 1000 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(n)
	div := 1000.0
	i := 0
	for i < len(units)-1 && f >= div*1000 {
		div *= 1000
		i++
	}
	return fmt.Sprintf("%.1f\u00a0%s", f/div, units[i])
}
