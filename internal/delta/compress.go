package delta

import (
	"io"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// maxCompressDict bounds the xz dictionary of a part, which bounds the
// compressor's memory (about 6 times the dictionary).
const maxCompressDict = 8 << 20

// compressXZ writes data as one xz stream with a CRC64 check, which is
// what libostree's part reader expects (any single-stream xz file works).
func compressXZ(w io.Writer, data []byte) error {
	dict := lzma.MinDictCap
	for dict < len(data) && dict < maxCompressDict {
		dict *= 2
	}
	cfg := xz.WriterConfig{CheckSum: xz.CRC64, DictCap: dict}
	zw, err := cfg.NewWriter(w)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	return zw.Close()
}
