package progress

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a fake clock that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestReporterBar(t *testing.T) {
	var out bytes.Buffer
	c := &clock{time.Unix(1000, 0)}
	r := New(Options{Out: &out, Terminal: true, Width: func() int { return 80 }, Now: c.now})
	snap := func(done, bytes int64) Snapshot {
		return Snapshot{Phase: "fetching", Label: "Receiving objects", Done: done, Total: 10, Bytes: bytes}
	}
	r.Update(snap(0, 0))
	c.advance(50 * time.Millisecond)
	r.Update(snap(1, 100)) // too soon: not drawn
	c.advance(950 * time.Millisecond)
	r.Update(snap(2, 2048))
	c.advance(10 * time.Millisecond)
	r.Update(Snapshot{Phase: "writing", Label: "Writing objects", Done: 10, Total: 10, Bytes: 4096}) // a new phase is drawn at once
	r.Finish(snap(10, 4096), nil)
	r.Update(snap(10, 4096)) // after Finish: nothing

	want := "\rReceiving objects:   0% [" + strings.Repeat(" ", 40) + "] 0/10\x1b[K" +
		"\rReceiving objects:  20% [" + strings.Repeat("#", 4) + strings.Repeat(" ", 17) + "] 2/10 2.0 KiB 2.0 KiB/s ETA 0:04\x1b[K" +
		"\rWriting objects: 100% [" + strings.Repeat("#", 31) + "] 10/10 4.0 KiB 4.0 KiB/s\x1b[K" +
		"\r\x1b[K"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("bar output (-want +got):\n%s", diff)
	}
}

func TestReporterJSON(t *testing.T) {
	var js bytes.Buffer
	c := &clock{time.Unix(1000, 0)}
	r := New(Options{JSON: &js, Now: c.now, DoneKey: "objects_fetched", TotalKey: "objects_total"})
	if r.Drawing() || !r.Active() {
		t.Fatalf("Drawing = %v, Active = %v; want false, true", r.Drawing(), r.Active())
	}
	fields := func(m int64) []Field { return []Field{{"metadata_fetched", m}} }
	r.Update(Snapshot{Phase: "fetching", Done: 0, Total: 4, Fields: fields(0)})
	c.advance(2 * time.Second)
	r.Update(Snapshot{Phase: "fetching", Done: 2, Total: 4, Bytes: 1000, Fields: fields(2)})
	c.advance(2 * time.Second)
	r.Finish(Snapshot{Phase: "writing", Done: 4, Total: 4, Bytes: 2000, Fields: fields(3)}, errors.New(`bad "thing"`))

	var got []map[string]any
	var keys [][]string
	sc := bufio.NewScanner(&js)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, m)
		keys = append(keys, jsonKeys(t, sc.Bytes()))
	}
	want := []map[string]any{
		{"type": "progress", "phase": "fetching", "objects_fetched": 0.0, "objects_total": 4.0, "bytes": 0.0, "metadata_fetched": 0.0, "elapsed_ms": 0.0},
		{"type": "progress", "phase": "fetching", "objects_fetched": 2.0, "objects_total": 4.0, "bytes": 1000.0, "metadata_fetched": 2.0, "elapsed_ms": 2000.0, "bytes_per_second": 500.0, "eta_seconds": 2.0},
		{"type": "done", "phase": "writing", "objects_fetched": 4.0, "objects_total": 4.0, "bytes": 2000.0, "metadata_fetched": 3.0, "elapsed_ms": 4000.0, "bytes_per_second": 500.0, "error": `bad "thing"`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON lines (-want +got):\n%s", diff)
	}
	wantKeys := []string{"type", "phase", "objects_fetched", "objects_total", "bytes", "metadata_fetched", "elapsed_ms", "bytes_per_second", "eta_seconds"}
	if diff := cmp.Diff(wantKeys, keys[1]); diff != "" {
		t.Errorf("key order (-want +got):\n%s", diff)
	}
}

// jsonKeys lists the keys of a JSON object in order.
func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.Token() // {
	var out []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k.(string))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestReporterQuietWhenNotTerminal checks that output that is not a
// terminal (a buffer, a file, a pipe) gets nothing, whatever is reported.
func TestReporterQuietWhenNotTerminal(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	var buf bytes.Buffer
	for _, tc := range []struct {
		name string
		out  interface{ Write([]byte) (int, error) }
	}{{"buffer", &buf}, {"file", f}, {"pipe", pw}} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{time.Unix(1000, 0)}
			r := New(Options{Out: tc.out, Now: c.now})
			if r.Active() {
				t.Fatal("reporter active without a terminal")
			}
			for i := range 5 {
				r.Update(Snapshot{Phase: "fetching", Done: int64(i), Total: 5})
				c.advance(time.Second)
			}
			r.Finish(Snapshot{Phase: "fetching", Done: 5, Total: 5}, nil)
			tk := Start(r, time.Millisecond, func() Snapshot { return Snapshot{Phase: "x"} })
			tk.Stop(nil)
		})
	}
	pw.Close()
	if b, _ := readAll(pr); len(b) != 0 {
		t.Errorf("pipe got %q", b)
	}
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Errorf("file got %d bytes", st.Size())
	}
	if buf.Len() != 0 {
		t.Errorf("buffer got %q", buf.String())
	}
}

func readAll(f *os.File) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(f)
	return b.Bytes(), err
}

func TestTicker(t *testing.T) {
	var js bytes.Buffer
	r := New(Options{JSON: &js})
	n := int64(0)
	tk := Start(r, time.Millisecond, func() Snapshot { n++; return Snapshot{Phase: "p", Done: n} })
	tk.Stop(nil)
	tk.Stop(errors.New("ignored")) // a second Stop does nothing
	lines := strings.Split(strings.TrimSuffix(js.String(), "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("got %d lines, want a progress line and a done line:\n%s", len(lines), js.String())
	}
	var first, last map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if first["type"] != "progress" || last["type"] != "done" {
		t.Errorf("first type %v, last type %v; want progress, done", first["type"], last["type"])
	}
	if _, ok := last["error"]; ok {
		t.Errorf("done line has an error: %v", last)
	}
}
