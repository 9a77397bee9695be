package progress

import (
	"encoding/json"
	"strconv"
	"time"
)

// appendJSON appends one JSON line for s: its type ("progress" or
// "done"), phase, counters in a fixed order, then the estimates. Keys
// never repeat as long as Fields avoid the standard names.
func (r *Reporter) appendJSON(b []byte, typ string, s Snapshot, elapsed time.Duration, rate float64, eta time.Duration, hasETA bool, err error) []byte {
	str := func(key, v string) {
		b = append(b, ',')
		b = strconv.AppendQuote(b, key)
		b = append(b, ':')
		q, _ := json.Marshal(v) // a string always marshals
		b = append(b, q...)
	}
	num := func(key string, v int64) {
		b = append(b, ',')
		b = strconv.AppendQuote(b, key)
		b = append(b, ':')
		b = strconv.AppendInt(b, v, 10)
	}
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, typ)
	str("phase", s.Phase)
	num(r.doneKey, s.Done)
	num(r.totalKey, s.Total)
	num("bytes", s.Bytes)
	for _, f := range s.Fields {
		num(f.Name, f.Value)
	}
	num("elapsed_ms", elapsed.Milliseconds())
	if rate >= 0 {
		num("bytes_per_second", int64(rate))
	}
	if hasETA {
		num("eta_seconds", int64(eta.Round(time.Second)/time.Second))
	}
	if err != nil {
		str("error", err.Error())
	}
	return append(b, "}\n"...)
}
