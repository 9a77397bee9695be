package progress

import (
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	full := line{label: "Receiving objects", done: 450, total: 1000, bytes: 3565158, rate: 1258291, eta: 5 * time.Second, hasETA: true}
	tests := []struct {
		name  string
		l     line
		width int
		want  string
	}{
		{"wide", full, 100, "Receiving objects:  45% [" + strings.Repeat("#", 16) + strings.Repeat(" ", 21) + "] 450/1000 3.4 MiB 1.2 MiB/s ETA 0:05"},
		{"bar capped", full, 200, "Receiving objects:  45% [" + strings.Repeat("#", 18) + strings.Repeat(" ", 22) + "] 450/1000 3.4 MiB 1.2 MiB/s ETA 0:05"},
		{"no room for bar", full, 60, "Receiving objects:  45% 450/1000 3.4 MiB 1.2 MiB/s ETA 0:05"},
		{"drops eta and rate", full, 45, "Receiving objects:  45% 450/1000 3.4 MiB"},
		{"truncated", full, 20, "Receiving objects: "},
		{"unknown total", line{label: "Receiving metadata", done: 12, rate: -1}, 80, "Receiving metadata: 12"},
		{"unknown rate", line{label: "x", done: 1, total: 4, bytes: 100, rate: -1}, 40, "x:  25% [####" + strings.Repeat(" ", 15) + "] 1/4 100 B"},
		{"over total", line{label: "x", done: 5, total: 4, rate: -1}, 10, "x: 100% 5"},
		{"complete", line{label: "x", done: 4, total: 4, rate: -1}, 25, "x: 100% [" + strings.Repeat("#", 10) + "] 4/4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.l.render(tc.width)
			if got != tc.want {
				t.Errorf("render(%d):\n got %q\nwant %q", tc.width, got, tc.want)
			}
			if len(got) >= tc.width {
				t.Errorf("render(%d) is %d columns wide, want < %d", tc.width, len(got), tc.width)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{3565158, "3.4 MiB"}, {5 << 30, "5.0 GiB"}, {3 << 40, "3.0 TiB"}, {2048 << 40, "2048.0 TiB"},
	}
	for _, tc := range tests {
		if got := FormatBytes(tc.n); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFormatETA(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"}, {1400 * time.Millisecond, "0:01"}, {75 * time.Second, "1:15"},
		{time.Hour + 2*time.Minute + 3*time.Second, "1:02:03"},
	}
	for _, tc := range tests {
		if got := formatETA(tc.d); got != tc.want {
			t.Errorf("formatETA(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var m meter
	if _, _, ok := m.rates(); ok {
		t.Fatal("rates known without samples")
	}
	m.add(sample{at: t0, done: 0, bytes: 0})
	if _, ok := m.eta(0, 10); ok {
		t.Fatal("eta known from one sample")
	}
	m.add(sample{at: t0.Add(2 * time.Second), done: 4, bytes: 2000})
	b, d, ok := m.rates()
	if !ok || b != 1000 || d != 2 {
		t.Fatalf("rates = %v, %v, %v; want 1000, 2, true", b, d, ok)
	}
	if eta, ok := m.eta(4, 10); !ok || eta != 3*time.Second {
		t.Fatalf("eta = %v, %v; want 3s", eta, ok)
	}
	if _, ok := m.eta(4, 0); ok {
		t.Fatal("eta known without total")
	}
	// Samples older than the window stop counting: from t0+6s the
	// baseline is the t0+2s sample.
	m.add(sample{at: t0.Add(6 * time.Second), done: 4, bytes: 2000})
	m.add(sample{at: t0.Add(7 * time.Second), done: 14, bytes: 7000})
	if b, _, _ := m.rates(); b != 1000 {
		t.Fatalf("rate over window = %v, want 1000", b)
	}
	if len(m.samples) != 3 {
		t.Fatalf("kept %d samples, want 3", len(m.samples))
	}
}
