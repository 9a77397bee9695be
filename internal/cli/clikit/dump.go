package clikit

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// This file holds the output helpers of ostree's ot-dump.c that show, log
// and summary share.

// byteswap is g_variant_byteswap on a decoded value: every 16-, 32- and
// 64-bit number (doubles included) has its bytes reversed. ostree prints
// variants this way on little-endian hosts, so that its big-endian fields
// read right.
func byteswap(t *gvariant.Type, v any) any {
	switch x := v.(type) {
	case int16:
		return int16(bits.ReverseBytes16(uint16(x)))
	case uint16:
		return bits.ReverseBytes16(x)
	case int32:
		return int32(bits.ReverseBytes32(uint32(x)))
	case uint32:
		return bits.ReverseBytes32(x)
	case int64:
		return int64(bits.ReverseBytes64(uint64(x)))
	case uint64:
		return bits.ReverseBytes64(x)
	case float64:
		return math.Float64frombits(bits.ReverseBytes64(math.Float64bits(x)))
	case gvariant.Variant:
		return gvariant.Variant{Type: x.Type, Value: byteswap(x.Type, x.Value)}
	case gvariant.Maybe:
		if !x.Valid {
			return x
		}
		return gvariant.Maybe{Valid: true, Value: byteswap(t.Elem, x.Value)}
	case gvariant.DictEntry:
		return gvariant.DictEntry{Key: byteswap(t.Fields[0], x.Key), Value: byteswap(t.Fields[1], x.Value)}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			if t.Kind == 'a' {
				out[i] = byteswap(t.Elem, e)
			} else {
				out[i] = byteswap(t.Fields[i], e)
			}
		}
		return out
	}
	return v
}

// DumpVariant is ot_dump_variant: the value byteswapped, printed with
// type annotations, and a newline.
func DumpVariant(t *gvariant.Type, v any) string {
	return gvariant.Print(t, byteswap(t, v), true) + "\n"
}

// FormatSize is g_format_size: "N bytes" below 1000, else one decimal in
// SI units.
func FormatSize(n uint64) string {
	if n < 1000 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(1000)
	for i, u := range units {
		if i == len(units)-1 || float64(n) < f*1000 {
			return fmt.Sprintf("%.1f %s", float64(n)/f, u)
		}
		f *= 1000
	}
	return ""
}

// isoLocal is ot-dump's uint64_secs_to_iso8601: local time as
// %FT%T%:::z, "invalid" when GDateTime cannot hold it.
func isoLocal(secs uint64) string {
	if secs >= 253402300800 {
		return "invalid"
	}
	t := time.Unix(int64(secs), 0).Local()
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	z := fmt.Sprintf("%c%02d", sign, off/3600)
	if off%3600 != 0 {
		z += fmt.Sprintf(":%02d", off%3600/60)
		if off%60 != 0 {
			z += fmt.Sprintf(":%02d", off%60)
		}
	}
	return t.Format("2006-01-02T15:04:05") + z
}

// indentLines is dump_indented_lines: each line of s indented by four
// spaces; a final line without newline gets one, an empty one nothing.
func indentLines(b *strings.Builder, s string) {
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			if s != "" {
				b.WriteString("    " + s + "\n")
			}
			return
		}
		b.WriteString("    " + s[:i+1])
		s = s[i+1:]
	}
}

// DumpCommit is ot_dump_object for a commit without --raw: the header and
// dump_commit's fields.
func DumpCommit(b *strings.Builder, c object.Checksum, cm *object.Commit) error {
	fmt.Fprintf(b, "commit %s\n", c)
	if cm.Timestamp >= 253402300800 {
		return fmt.Errorf("Failed to read commit: Invalid timestamp: %d", cm.Timestamp)
	}
	if !cm.Parent.IsZero() {
		fmt.Fprintf(b, "Parent:  %s\n", cm.Parent)
	}
	fmt.Fprintf(b, "ContentChecksum:  %s\n", cm.ContentChecksum())
	fmt.Fprintf(b, "Date:  %s\n", time.Unix(int64(cm.Timestamp), 0).UTC().Format("2006-01-02 15:04:05 +0000"))
	if v, ok := cm.Metadata.String("version"); ok {
		fmt.Fprintf(b, "Version: %s\n", v)
	}
	if cm.Subject != "" {
		b.WriteString("\n")
		indentLines(b, cm.Subject)
	} else {
		b.WriteString("(no subject)\n")
	}
	if cm.Body != "" {
		b.WriteString("\n")
		indentLines(b, cm.Body)
	}
	b.WriteString("\n")
	return nil
}
