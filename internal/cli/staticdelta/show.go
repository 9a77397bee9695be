package staticdelta

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/delta"
	"github.com/gostree/gostree/internal/repo"
)

// setupStaticDeltaShow is `ostree static-delta show DELTA`
// (_ostree_repo_static_delta_dump): the superblock, then each part's
// header, payload tables and operation counts, then the totals.
// Unlike libostree 2022.7 it also shows inline parts.
func setupStaticDeltaShow(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return errors.New("DELTA must be specified")
		}
		raw, err := readSuperblockArg(r, args[0])
		if err != nil {
			return err
		}
		sb, _, signed, err := delta.ReadSuperblockFile(raw)
		if err != nil {
			return err
		}
		in.Printf("Delta: %s\n", args[0])
		in.Printf("Signed: %s\n", yesNo(signed != nil))
		if sb.From.IsZero() {
			in.Printf("From <scratch>\n")
		} else {
			in.Printf("From: %s\n", sb.From)
		}
		in.Printf("To: %s\n", sb.To)
		endian := sb.Endianness.String()
		if sb.Heuristic && sb.Endianness != delta.EndianInvalid {
			endian += " (heuristic)"
		}
		in.Printf("Endianness: %s\n", endian)
		in.Printf("Timestamp: %d\n", sb.Timestamp)
		in.Printf("Number of parents: 0\n")
		in.Printf("Number of fallback entries: %d\n", len(sb.Fallbacks))
		var fbSize, fbUSize uint64
		for _, f := range sb.Fallbacks {
			in.Printf("  %s\n", f.Checksum)
			fbSize += f.Size
			fbUSize += f.USize
		}
		in.Printf("Total Fallback Size: %d (%s)\n", fbSize, clikit.FormatSizeGLib(fbSize))
		in.Printf("Total Fallback Uncompressed Size: %d (%s)\n", fbUSize, clikit.FormatSizeGLib(fbUSize))
		in.Printf("Number of parts: %d\n", len(sb.Parts))
		var size, usize uint64
		for i := range sb.Parts {
			h := &sb.Parts[i]
			size += h.Size
			usize += h.USize
			if err := showPart(in, r, sb, i); err != nil {
				return err
			}
		}
		in.Printf("Total Part Size: %d (%s)\n", size, clikit.FormatSizeGLib(size))
		in.Printf("Total Part Uncompressed Size: %d (%s)\n", usize, clikit.FormatSizeGLib(usize))
		in.Printf("Total Size: %d (%s)\n", size+fbSize, clikit.FormatSizeGLib(size+fbSize))
		in.Printf("Total Uncompressed Size: %d (%s)\n", usize+fbUSize, clikit.FormatSizeGLib(usize+fbUSize))
		return nil
	}
}

func showPart(in *clikit.Invocation, r *repo.Repo, sb *delta.Superblock, i int) error {
	h := &sb.Parts[i]
	in.Printf("PartMeta%d: nobjects=%d size=%d usize=%d\n", i, len(h.Objects), h.Size, h.USize)
	opts := delta.OpenOptions{MaxPayload: delta.PayloadLimit(h.USize), TmpDir: filepath.Join(r.Path(), "tmp")}
	var part *delta.Part
	if inline, ok := sb.InlinePart(i); ok {
		opts.TmpDir = ""
		p, err := delta.OpenPart(bytes.NewReader(inline), opts)
		if err != nil {
			return err
		}
		part = p
	} else {
		rel := sb.ID().PartPath(i)
		f, err := os.Open(filepath.Join(r.Path(), rel))
		if err != nil {
			return openatError(rel, err)
		}
		defer f.Close()
		if part, err = delta.OpenPart(f, opts); err != nil {
			return err
		}
	}
	defer part.Close()
	p := part.Payload
	in.Printf("PartPayload%d: nmodes=%d nxattrs=%d blobsize=%d opsize=%d\n", i, len(p.Modes), len(p.Xattrs), len(p.Blob), len(p.Ops))
	n, err := delta.CountOps(h.Objects, p)
	if err != nil {
		return err
	}
	in.Printf("PartPayloadOps%d: openspliceclose=%d open=%d write=%d setread=%d unsetread=%d close=%d bspatch=%d\n",
		i, n[0], n[1], n[2], n[3], n[4], n[5], n[6])
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
