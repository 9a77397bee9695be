package repocmd

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gostree/gostree/internal/checkout"
	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/repo"
)

type checkoutFlags struct {
	userMode, disableCache, union, unionAdd, unionIdentical   bool
	whiteouts, passthroughWhiteouts, allowNoent, fromStdin    bool
	requireHardlinks, forceCopy, forceCopyZerosized           bool
	bareuseronlyDirs, disableFsync                            bool
	composefs, composefsNoverity                              bool
	subpath, fromFile, skipList, selinuxPolicy, selinuxPrefix string
}

// Checkout sets up `ostree checkout`.
func Checkout(in *clikit.Invocation) func([]string) error {
	var f checkoutFlags
	in.Flag("user-mode", 'U', "Do not change file ownership or initialize extended attributes", &f.userMode)
	in.Flag("disable-cache", 0, "Do not update or use the internal repository uncompressed object cache", &f.disableCache)
	in.String("subpath", 0, "PATH", "Checkout sub-directory PATH", &f.subpath)
	in.Flag("union", 0, "Keep existing directories, overwrite existing files", &f.union)
	in.Flag("union-add", 0, "Keep existing files/directories, only add new", &f.unionAdd)
	in.Flag("union-identical", 0, "When layering checkouts, error out if a file would be replaced with a different version, but add new files and directories", &f.unionIdentical)
	in.Flag("whiteouts", 0, "Process 'whiteout' (Docker style) entries", &f.whiteouts)
	in.Flag("process-passthrough-whiteouts", 0, "Enable overlayfs whiteout extraction into char 0:0 devices", &f.passthroughWhiteouts)
	in.Flag("allow-noent", 0, "Do nothing if specified path does not exist", &f.allowNoent)
	in.Flag("from-stdin", 0, "Process many checkouts from standard input", &f.fromStdin)
	in.String("from-file", 0, "FILE", "Process many checkouts from input file", &f.fromFile)
	in.Options = append(in.Options, &clikit.Option{Long: "fsync", Arg: "POLICY", Desc: "Specify how to invoke fsync()", Func: func(v string) error {
		on, err := checkoutParseBool(v)
		f.disableFsync = !on
		return err
	}})
	in.Flag("require-hardlinks", 'H', "Do not fall back to full copies if hardlinking fails", &f.requireHardlinks)
	in.Options = append(in.Options, &clikit.Option{Long: "force-copy-zerosized", Short: 'z', Desc: "Do not hardlink zero-sized files", Bool: &f.forceCopyZerosized, Hidden: true})
	in.Flag("force-copy", 'C', "Never hardlink (but may reflink if available)", &f.forceCopy)
	in.Flag("bareuseronly-dirs", 'M', "Suppress mode bits outside of 0775 for directories (suid, world writable, etc.)", &f.bareuseronlyDirs)
	in.String("skip-list", 0, "FILE", "File containing list of files to skip", &f.skipList)
	in.String("selinux-policy", 0, "PATH", "Set SELinux labels based on policy in root filesystem PATH (may be /); implies --force-copy", &f.selinuxPolicy)
	in.String("selinux-prefix", 0, "PREFIX", "When setting SELinux labels, prefix all paths by PREFIX", &f.selinuxPrefix)
	in.Flag("composefs", 0, "Only create a composefs blob", &f.composefs)
	in.Flag("composefs-noverity", 0, "Only create a composefs blob, and disable fsverity", &f.composefsNoverity)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if f.disableFsync {
			r.SetFsync(false)
		}
		if len(args) < 1 {
			return clikit.Usage("COMMIT must be specified")
		}
		if f.fromStdin || f.fromFile != "" {
			return checkoutMany(in, r, &f, args[0])
		}
		dest := args[0]
		if len(args) >= 2 {
			dest = args[1]
		}
		return checkoutOne(in, r, &f, args[0], f.subpath, dest)
	}
}

// checkoutOne is libostree's process_one_checkout: the plain form keeps
// the uncompressed cache and --allow-noent, any other option selects the
// checkout_at form, which validates option combinations.
func checkoutOne(in *clikit.Invocation, r *repo.Repo, f *checkoutFlags, rev, subpath, dest string) error {
	c, err := resolveRevPublic(in, r, rev)
	if err != nil {
		return err
	}
	opts := checkout.Options{UserMode: f.userMode, Subpath: subpath}
	advanced := f.disableCache || f.whiteouts || f.requireHardlinks || f.unionAdd || f.forceCopy ||
		f.forceCopyZerosized || f.bareuseronlyDirs || f.unionIdentical || f.skipList != "" ||
		f.selinuxPolicy != "" || f.selinuxPrefix != "" || f.passthroughWhiteouts
	if f.composefs || f.composefsNoverity {
		if advanced {
			return fmt.Errorf("Specified options are incompatible with --composefs")
		}
		return checkoutComposefs(in, r, c, f.composefsNoverity, dest)
	}
	if !advanced {
		opts.UncompressedCache = true
		opts.AllowNoent = f.allowNoent
		if f.union {
			opts.Overwrite = checkout.OverwriteUnionFiles
		}
		return checkout.Checkout(in.Ctx, r, c, dest, opts)
	}
	if f.selinuxPolicy != "" {
		f.forceCopy = true
	}
	switch {
	case f.union && f.unionAdd:
		return fmt.Errorf("Cannot specify both --union and --union-add")
	case f.union && f.unionIdentical:
		return fmt.Errorf("Cannot specify both --union and --union-identical")
	case f.unionAdd && f.unionIdentical:
		return fmt.Errorf("Cannot specify both --union-add and --union-identical")
	case f.requireHardlinks && f.forceCopy:
		return fmt.Errorf("Cannot specify both --require-hardlinks and --force-copy")
	case f.selinuxPrefix != "" && f.selinuxPolicy == "":
		return fmt.Errorf("Cannot specify --selinux-prefix without --selinux-policy")
	case f.union:
		opts.Overwrite = checkout.OverwriteUnionFiles
	case f.unionAdd:
		opts.Overwrite = checkout.OverwriteAddFiles
	case f.unionIdentical:
		if !f.requireHardlinks {
			return fmt.Errorf("--union-identical requires --require-hardlinks")
		}
		opts.Overwrite = checkout.OverwriteUnionIdentical
	}
	if f.selinuxPolicy != "" {
		return fmt.Errorf("selinux-policy: SELinux labeling is not supported by this build")
	}
	opts.Whiteouts = f.whiteouts
	opts.PassthroughWhiteouts = f.passthroughWhiteouts
	opts.RequireHardlinks = f.requireHardlinks
	opts.ForceCopy = f.forceCopy
	opts.BareUserOnlyDirs = f.bareuseronlyDirs
	if f.skipList != "" {
		skip, err := readSkipList(f.skipList)
		if err != nil {
			return err
		}
		opts.Skip = func(p string) bool { return skip[p] }
	}
	return checkout.Checkout(in.Ctx, r, c, dest, opts)
}

// readSkipList reads one path per line; empty lines are ignored.
func readSkipList(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" {
			skip[line] = true
		}
	}
	return skip, nil
}

// checkoutMany reads NUL-terminated (revision, subpath) pairs and checks
// each out into dest, until an empty revision or the end of input.
func checkoutMany(in *clikit.Invocation, r *repo.Repo, f *checkoutFlags, dest string) error {
	var src io.Reader = in.Stdin
	if !f.fromStdin {
		file, err := os.Open(f.fromFile)
		if err != nil {
			return err
		}
		defer file.Close()
		src = file
	}
	br := bufio.NewReader(src)
	readField := func() (string, bool, error) {
		s, err := br.ReadString(0)
		if err == io.EOF {
			return s, s != "", nil
		}
		if err != nil {
			return "", false, err
		}
		return strings.TrimSuffix(s, "\x00"), true, nil
	}
	for {
		rev, ok, err := readField()
		if err != nil {
			return err
		}
		if !ok || rev == "" {
			return nil
		}
		subpath, _, err := readField()
		if err != nil {
			return err
		}
		c, err := resolveRevPublic(in, r, rev)
		if err != nil {
			return err
		}
		if err := checkoutOne(in, r, f, c.String(), subpath, dest); err != nil {
			return fmt.Errorf("Processing tree %s: %w", c, err)
		}
	}
}

// checkoutParseBool is libostree's ot_parse_boolean.
func checkoutParseBool(v string) (bool, error) {
	switch {
	case strings.EqualFold(v, "1") || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes"):
		return true, nil
	case strings.EqualFold(v, "0") || strings.EqualFold(v, "false") || strings.EqualFold(v, "no") || strings.EqualFold(v, "none"):
		return false, nil
	}
	return false, fmt.Errorf("Invalid boolean argument '%s'", v)
}
