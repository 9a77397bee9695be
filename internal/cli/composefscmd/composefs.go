package composefscmd

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/fsverity"
)

// Command is `gostree composefs`, a gostree extension kept out
// of `ostree --help`. The same code answers as mkcomposefs and
// composefs-info (see MkcomposefsMain and ComposefsInfoMain).
func Command() *clikit.Command {
	return &clikit.Command{Name: "composefs", Summary: "composefs images (gostree only)", NoRepo: true, Hidden: true, Sub: []*clikit.Command{
		{Name: "mkimage", Summary: "Write the composefs image of a directory or dump file", Usage: "SOURCE IMAGE", NoRepo: true, Setup: setupComposefsMkimage},
		{Name: "dump", Summary: "Print composefs images in dump format", Usage: "IMAGE...", NoRepo: true, Setup: setupComposefsDump},
		{Name: "info", Summary: "List the files or backing objects of composefs images", Usage: "(ls|objects|missing-objects|dump|measure-file) IMAGE...", NoRepo: true, Setup: setupComposefsInfo},
	}}
}

// mkimageOpts are mkcomposefs's options.
type mkimageOpts struct {
	fromFile, printDigest, printDigestOnly bool
	minVersion, maxVersion                 string
	dir                                    composefs.DirOptions
}

func setupComposefsMkimage(in *clikit.Invocation) func([]string) error {
	o := &mkimageOpts{}
	in.Flag("from-file", 0, "The source is a dump file, not a directory", &o.fromFile)
	in.String("min-version", 0, "N", "Use this minimal format version (default=0)", &o.minVersion)
	in.String("max-version", 0, "N", "Use this maximum format version (default=1)", &o.maxVersion)
	in.String("digest-store", 0, "PATH", "Store content files in this directory", &o.dir.DigestStore)
	in.Flag("use-epoch", 0, "Make all mtimes zero", &o.dir.UseEpoch)
	in.Flag("skip-devices", 0, "Don't store device nodes", &o.dir.SkipDevices)
	in.Flag("skip-xattrs", 0, "Don't store file xattrs", &o.dir.SkipXattrs)
	in.Flag("user-xattrs", 0, "Only store user.* xattrs", &o.dir.UserXattrs)
	in.Flag("print-digest", 0, "Print the digest of the image", &o.printDigest)
	in.Flag("print-digest-only", 0, "Print the digest of the image, don't write image", &o.printDigestOnly)
	return func(args []string) error {
		return runMkimage(in.Ctx, o, args, in.Stdin, in.Stdout, in.Env)
	}
}

// runMkimage is mkcomposefs: SOURCE (a directory, or a dump file or "-"
// with fromFile) to IMAGE ("-" for stdout).
func runMkimage(ctx context.Context, o *mkimageOpts, args []string, stdin io.Reader, stdout io.Writer, getenv func(string) string) error {
	opts := composefs.Options{Version: 0, MaxVersion: 1}
	if o.minVersion != "" || o.maxVersion != "" {
		// As in mkcomposefs, giving either bound makes the other 0.
		opts = composefs.Options{}
		var err error
		if opts.Version, err = parseVersion("min", o.minVersion); err != nil {
			return err
		}
		if opts.MaxVersion, err = parseVersion("max", o.maxVersion); err != nil {
			return err
		}
	}
	if o.printDigestOnly {
		o.printDigest = true
	}
	switch {
	case len(args) < 1:
		return errors.New("No source path specified")
	case args[0] == "":
		return errors.New("Empty source path specified")
	case len(args) > 2:
		return errors.New("Too many arguments")
	case len(args) == 1 && !o.printDigestOnly:
		return errors.New("No destination path specified")
	case len(args) == 2 && o.printDigestOnly:
		return errors.New("Cannot specify destination path with --print-digest-only")
	}
	root, err := mkimageSource(ctx, o, args[0], stdin, getenv)
	if err != nil {
		return err
	}
	var img bytes.Buffer
	if err := composefs.WriteImage(&img, root, opts); err != nil {
		return fmt.Errorf("cannot write file: %w", err)
	}
	if !o.printDigestOnly {
		if args[1] == "-" {
			if _, err := stdout.Write(img.Bytes()); err != nil {
				return err
			}
		} else if err := os.WriteFile(args[1], img.Bytes(), 0o644); err != nil {
			return fmt.Errorf("failed to open output file: %w", err)
		}
	}
	if o.printDigest {
		sum, err := fsverity.Sum(bytes.NewReader(img.Bytes()))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, hex.EncodeToString(sum[:]))
	}
	return nil
}

func parseVersion(which, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("Invalid %s version %s", which, s)
	}
	return v, nil
}

func mkimageSource(ctx context.Context, o *mkimageOpts, src string, stdin io.Reader, getenv func(string) string) (*composefs.Node, error) {
	if !o.fromFile {
		root, err := composefs.FromDir(ctx, src, o.dir)
		if err != nil {
			return nil, fmt.Errorf("error accessing %s: %w", src, err)
		}
		return root, nil
	}
	r := stdin
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return nil, fmt.Errorf("open `%s`: %w", src, err)
		}
		defer f.Close()
		r = f
	}
	parse := composefs.ParseDump
	if getenv != nil && getenv("CFS_PARSE_STRICT") != "" {
		parse = composefs.ParseDumpStrict
	}
	return parse(r)
}

func setupComposefsDump(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		return runComposefsInfo(append([]string{"dump"}, args...), "", in.Stdout)
	}
}

func setupComposefsInfo(in *clikit.Invocation) func([]string) error {
	var basedir string
	in.String("basedir", 0, "PATH", "Look for backing objects below PATH (missing-objects)", &basedir)
	return func(args []string) error {
		return runComposefsInfo(args, basedir, in.Stdout)
	}
}

// runComposefsInfo is composefs-info: COMMAND IMAGE...
func runComposefsInfo(args []string, basedir string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("No command specified")
	}
	cmd, images := args[0], args[1:]
	switch cmd {
	case "ls", "dump", "objects", "missing-objects":
	case "measure-file":
		return measureFiles(images, stdout)
	default:
		return fmt.Errorf("Unknown command '%s'", cmd)
	}
	if len(images) == 0 {
		return errors.New("No image path specified")
	}
	objects := map[string]bool{}
	for _, path := range images {
		im, err := loadImage(path)
		if err != nil {
			return err
		}
		switch cmd {
		case "dump":
			err = composefs.WriteDump(stdout, im.Root)
		case "ls":
			err = listImage(stdout, im.Root)
		default:
			collectObjects(im.Root, objects, cmd == "missing-objects", basedir)
		}
		if err != nil {
			return err
		}
	}
	if cmd == "objects" || cmd == "missing-objects" {
		names := make([]string, 0, len(objects))
		for o := range objects {
			names = append(names, o)
		}
		sort.Strings(names)
		for _, o := range names {
			fmt.Fprintln(stdout, o)
		}
	}
	return nil
}

func loadImage(path string) (*composefs.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("Failed to open '%s': %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	im, err := composefs.ReadImage(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("Failed to load '%s': %w", path, err)
	}
	return im, nil
}

// listImage prints composefs-info ls: every path below the root, with
// "/" after directories, "-> target" for symlinks and "@ payload" for
// files with a backing object.
func listImage(w io.Writer, root *composefs.Node) error {
	var b []byte
	err := composefs.Walk(root, func(p string, n *composefs.Node) error {
		if n == root {
			return nil
		}
		b = append(b[:0], composefs.EscapeLs(p)...)
		switch {
		case n.LinkTo != nil:
		case n.Type() == composefs.TypeDir:
			b = append(b, "/\t"...)
		case n.Type() == composefs.TypeSymlink:
			b = append(b, "\t-> "...)
			b = append(b, composefs.Escape(n.Payload)...)
		case n.Type() == composefs.TypeRegular && (n.HasPayload || n.Payload != ""):
			b = append(b, "\t@ "...)
			b = append(b, composefs.Escape(n.Payload)...)
		}
		b = append(b, '\n')
		_, err := w.Write(b)
		return err
	})
	return err
}

// collectObjects gathers the payloads of regular files (those missing
// below basedir with missing).
func collectObjects(root *composefs.Node, out map[string]bool, missing bool, basedir string) {
	_ = composefs.Walk(root, func(_ string, n *composefs.Node) error {
		if n.LinkTo != nil || n.Type() != composefs.TypeRegular || !(n.HasPayload || n.Payload != "") || out[n.Payload] {
			return nil
		}
		if missing && basedir != "" {
			if _, err := os.Stat(filepath.Join(basedir, strings.TrimLeft(n.Payload, "/"))); err == nil {
				return nil
			}
		}
		out[n.Payload] = true
		return nil
	})
}

// measureFiles prints the fs-verity digest of each file: measured by the
// kernel where fs-verity is on, computed otherwise.
func measureFiles(paths []string, stdout io.Writer) error {
	if len(paths) == 0 {
		return errors.New("No files specified")
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("Failed to open '%s': %w", p, err)
		}
		d, err := fsverity.Measure(f)
		if err != nil {
			d, err = fsverity.Sum(f)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("failed to measure '%s': %w", p, err)
		}
		fmt.Fprintln(stdout, hex.EncodeToString(d[:]))
	}
	return nil
}
