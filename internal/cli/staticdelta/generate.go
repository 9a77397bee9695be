package staticdelta

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/delta"
	"github.com/gostree/gostree/internal/sign"
)

// setupStaticDeltaGenerate is `ostree static-delta generate [TO]`.
func setupStaticDeltaGenerate(in *clikit.Invocation) func([]string) error {
	var from, to, endianness, filename, minFallback, maxBsdiff, maxChunk, signType, keysFile string
	var empty, inline, disableBsdiff, ifNotExists, swapEndianness bool
	var keys []string
	in.String("from", 0, "REV", "Create delta from revision REV", &from)
	in.Flag("empty", 0, "Create delta from scratch", &empty)
	in.Flag("inline", 0, "Inline delta parts into main delta", &inline)
	in.String("to", 0, "REV", "Create delta to revision REV", &to)
	in.Flag("disable-bsdiff", 0, "Disable use of bsdiff", &disableBsdiff)
	in.Flag("if-not-exists", 'n', "Only generate if a delta does not already exist", &ifNotExists)
	in.String("set-endianness", 0, "ENDIAN", "Choose metadata endianness ('l' or 'B')", &endianness)
	in.Flag("swap-endianness", 0, "Swap metadata endianness from host order", &swapEndianness)
	in.String("min-fallback-size", 0, "", "Minimum uncompressed size in megabytes for individual HTTP request", &minFallback)
	in.String("max-bsdiff-size", 0, "", "Maximum size in megabytes to consider bsdiff compression for input files", &maxBsdiff)
	in.String("max-chunk-size", 0, "", "Maximum size of delta chunks in megabytes", &maxChunk)
	in.String("filename", 0, "PATH", "Write the delta content to PATH (a directory).  If not specified, the OSTree repository is used", &filename)
	in.Strings("sign", 0, "KEY_ID", "Sign the delta with", &keys)
	in.String("sign-type", 0, "NAME", "Signature type to use (defaults to 'ed25519')", &signType)
	in.OwnString("keys-file", 0, "NAME", "Read key(s) from file", &keysFile)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if to == "" && len(args) > 0 {
			to = args[0]
		}
		if to == "" {
			return errors.New("TO revision must be specified")
		}
		fromRev := from
		if empty {
			if from != "" {
				return errors.New("Cannot specify both --empty and --from=REV")
			}
		} else if from == "" {
			fromRev = to + "^"
		}
		opts := delta.GenerateOptions{
			DisableBsdiff: disableBsdiff,
			Inline:        inline,
			Filename:      filename,
		}
		if fromRev != "" {
			if opts.From, err = r.ResolveRev(in.Ctx, fromRev, false); err != nil {
				return err
			}
		}
		if opts.To, err = r.ResolveRev(in.Ctx, to, false); err != nil {
			return err
		}
		id := delta.ID{From: opts.From, To: opts.To}
		if ifNotExists {
			if _, err := os.Stat(filepath.Join(r.Path(), filepath.FromSlash(id.SuperblockPath()))); err == nil {
				in.Printf("Delta %s already exists.\n", id)
				return nil
			}
		}
		opts.Endianness = delta.EndianLittle
		switch endianness {
		case "":
		case "l":
		case "B":
			opts.Endianness = delta.EndianBig
		default:
			return fmt.Errorf("Invalid endianness '%s'", endianness)
		}
		if swapEndianness {
			if opts.Endianness == delta.EndianLittle {
				opts.Endianness = delta.EndianBig
			} else {
				opts.Endianness = delta.EndianLittle
			}
		}
		// Like libostree, sizes are megabytes parsed as g_ascii_strtoull
		// would (garbage reads as 0), and 0 disables fallbacks and bsdiff.
		if minFallback != "" {
			opts.MinFallbackSize = megabytes(minFallback, -1)
		}
		if maxBsdiff != "" {
			opts.MaxBsdiffSize = megabytes(maxBsdiff, -1)
		}
		if maxChunk != "" {
			opts.MaxChunkSize = megabytes(maxChunk, 1)
		}
		if len(keys) > 0 || keysFile != "" {
			if keysFile != "" {
				fileKeys, err := readKeysFile(keysFile)
				if err != nil {
					return err
				}
				keys = append(keys, fileKeys...)
			}
			if signType == "" {
				signType = "ed25519"
			}
			s, err := sign.Get(signType)
			if err != nil {
				return err
			}
			opts.Signer, opts.SignKeys = s, keys
		}

		in.Printf("Generating static delta:\n")
		if opts.From.IsZero() {
			in.Printf("  From: empty\n")
		} else {
			in.Printf("  From: %s\n", opts.From)
		}
		in.Printf("  To:   %s\n", opts.To)
		// Generation allocates and drops large buffers (file contents,
		// part data); a soft limit makes the collector return them before
		// the heap doubles. It is a target, not a cap: larger deltas
		// still work.
		if in.Env("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(generateMemoryLimit)
		}
		stats, err := delta.Generate(in.Ctx, r, opts)
		if err != nil {
			return err
		}
		printGenerateStats(in, stats)
		return nil
	}
}

// generateMemoryLimit is the Go heap target while generating: the two
// part compressors' match finders (about 70 MiB each) and the parts in
// flight fit well below it.
const generateMemoryLimit = 192 << 20

// megabytes converts a size option to bytes; zero (or garbage) becomes
// zeroValue, as 0 means "off" for the fallback and bsdiff limits.
func megabytes(s string, zeroValue int64) int64 {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil || n == 0 {
		return zeroValue
	}
	return n * 1000 * 1000
}

// readKeysFile reads one key per line, as the reference's --keys-file.
func readKeysFile(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("File object '%s' is not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		out = append(out, line)
	}
	return out, nil
}

// printGenerateStats prints libostree's verbose report on stderr, which
// the CLI always asks for.
func printGenerateStats(in *clikit.Invocation, s *delta.GenerateStats) {
	w := in.Stderr
	fmt.Fprintf(w, "modified: %d\n", s.Modified)
	fmt.Fprintf(w, "new reachable: metadata=%d content regular=%d symlink=%d\n", s.NewMeta, s.NewRegular, s.NewSymlinks)
	fmt.Fprintf(w, "rollsum for %d/%d modified\n", s.Rollsum, s.Modified)
	for _, f := range s.Fallbacks {
		fmt.Fprintf(w, "fallback for %s (%s)\n", f.Checksum, clikit.FormatSizeGLib(f.USize))
	}
	var size, usize uint64
	for i, p := range s.Parts {
		fmt.Fprintf(w, "part %d n:%d compressed:%d uncompressed:%d\n", i+1, p.Objects, p.Size, p.USize)
		size += p.Size
		usize += p.USize
	}
	fmt.Fprintf(w, "uncompressed=%d compressed=%d loose=%d\n", usize, size, s.Loose)
	fmt.Fprintf(w, "rollsum=%d objects, %d bytes\n", s.Rollsum, s.RollsumBytes)
	fmt.Fprintf(w, "bsdiff=%d objects\n", s.Bsdiff)
}
