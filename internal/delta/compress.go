package delta

import "io"

// partDict is the xz dictionary of a part: how far back a match may
// reach. It bounds the match finder to 8 bytes per dictionary byte for
// each part being compressed (two at a time on two cores). Measured with
// xz on Debian trees, 8 MiB loses 0.35% of size against 32 MiB and 4 MiB
// 2.5%.
const partDict = 6 << 20

// compressXZ writes data as one xz stream with a CRC64 check (LZMA2,
// about liblzma's preset 8 with a smaller dictionary), which is what
// libostree's part reader expects.
//
// The match finder's tables are allocated for each part: fresh memory is
// only resident where it is written, so a part of already-compressed
// files, which the encoder stores, costs little of it.
func compressXZ(w io.Writer, data []byte) error {
	return writeXZ(w, data, xzOptions{dict: partDict})
}
