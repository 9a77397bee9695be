package repocmd

import (
	"bufio"
	"io"
	"io/fs"
	"os"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/export"
)

// Export sets up `ostree export`.
func Export(in *clikit.Invocation) func([]string) error {
	var noXattrs bool
	var subpath, prefix, output string
	in.Flag("no-xattrs", 0, "Skip output of extended attributes", &noXattrs)
	in.String("subpath", 0, "PATH", "Checkout sub-directory PATH", &subpath)
	in.String("prefix", 0, "PATH", "Add PATH as prefix to archive pathnames", &prefix)
	in.String("output", 'o', "PATH", "Output to PATH ", &output)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("A COMMIT argument is required")
		}
		// Like libarchive: open the output first; pad the last record
		// unless writing a regular file (or anything but a device or
		// FIFO) by name.
		var out io.Writer = in.Stdout
		pad := true
		if output != "" {
			f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return err
			}
			pad = st.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0
			out = f
		}
		bw := bufio.NewWriterSize(out, 64<<10)
		c, err := resolveRevPublic(in, r, args[0])
		if err != nil {
			// libarchive ends the (empty) archive even on failure.
			export.Empty(bw, pad)
			bw.Flush()
			return err
		}
		// The GNU tar format carries no xattrs, so --no-xattrs changes
		// nothing in the output.
		if err := export.Tar(in.Ctx, r, c, bw, export.Options{Subpath: subpath, Prefix: prefix, PadRecord: pad}); err != nil {
			bw.Flush()
			return err
		}
		return bw.Flush()
	}
}
