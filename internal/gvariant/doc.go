// Package gvariant owns the GVariant binary serialization that libostree
// stores on disk and sends on the wire: a normal-form writer and a strict
// reader, plus the GVariant text format used by the CLI.
//
// Values are plain Go values chosen by the type string:
//
//	b bool · y byte · n int16 · q uint16 · i int32 · u, h uint32
//	x int64 · t uint64 · d float64 · s, o, g string · ay []byte
//	other arrays []any · tuples []any · {kv} DictEntry · v Variant · m Maybe
//
// Level L0: imports only the standard library.
package gvariant
