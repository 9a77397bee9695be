package composefscmd

import (
	"context"
	"fmt"
	"io"
	"strings"
)

const mkcomposefsUsage = `Usage: mkcomposefs [OPTIONS] SOURCE IMAGE
Write the composefs image (EROFS) of SOURCE, a directory or with --from-file
a composefs dump file ("-" for stdin), to IMAGE ("-" for stdout).
Options:
  --digest-store=PATH   Store content files in this directory
  --use-epoch           Make all mtimes zero
  --skip-devices        Don't store device nodes
  --skip-xattrs         Don't store file xattrs
  --user-xattrs         Only store user.* xattrs
  --print-digest        Print the digest of the image
  --print-digest-only   Print the digest of the image, don't write image
  --from-file           The source is a dump file, not a directory
  --min-version=N       Use this minimal format version (default=0)
  --max-version=N       Use this maximum format version (default=1)
  --threads=N           Number of threads computing digests (default: CPU count)
`

const composefsInfoUsage = `usage: composefs-info [--basedir=path] [ls|objects|dump|missing-objects|measure-file] IMAGES...
Show the files (ls, dump) or backing objects (objects, missing-objects) of
composefs images, or the fs-verity digests of files (measure-file).
`

// getoptSpec is one long option: its name and whether it takes a value.
type getoptSpec struct {
	name   string
	hasArg bool
}

// getoptLong parses GNU-style long options (--name=value, --name value),
// permuting them out of the positional arguments like getopt_long does;
// "--" ends the options.
func getoptLong(args []string, specs []getoptSpec) (map[string]string, []string, error) {
	opts := map[string]string{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "--") {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		var spec *getoptSpec
		for j := range specs {
			if specs[j].name == name {
				spec = &specs[j]
			}
		}
		switch {
		case spec == nil:
			return nil, nil, fmt.Errorf("unrecognized option '%s'", a)
		case spec.hasArg && !hasVal:
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("option needs a value")
			}
			i++
			val = args[i]
		case !spec.hasArg && hasVal:
			return nil, nil, fmt.Errorf("option '--%s' doesn't allow an argument", name)
		}
		opts[name] = val
	}
	return opts, pos, nil
}

// MkcomposefsMain runs the binary as mkcomposefs (argv[0] named so),
// with mkcomposefs's option spelling. It returns the exit code.
func MkcomposefsMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	specs := []getoptSpec{
		{"skip-xattrs", false}, {"user-xattrs", false}, {"skip-devices", false}, {"use-epoch", false},
		{"digest-store", true}, {"print-digest", false}, {"print-digest-only", false}, {"from-file", false},
		{"max-version", true}, {"min-version", true}, {"threads", true}, {"help", false},
	}
	opts, pos, err := getoptLong(args, specs)
	if err != nil {
		fmt.Fprintf(stderr, "mkcomposefs: %s\n%s", err, mkcomposefsUsage)
		return 1
	}
	if _, ok := opts["help"]; ok {
		fmt.Fprint(stdout, mkcomposefsUsage)
		return 0
	}
	flag := func(k string) bool { _, ok := opts[k]; return ok }
	o := &mkimageOpts{
		fromFile: flag("from-file"), printDigest: flag("print-digest"), printDigestOnly: flag("print-digest-only"),
		minVersion: opts["min-version"], maxVersion: opts["max-version"],
	}
	if flag("min-version") && o.minVersion == "" || flag("max-version") && o.maxVersion == "" {
		fmt.Fprintln(stderr, "mkcomposefs: Invalid version")
		return 1
	}
	o.dir.UseEpoch, o.dir.SkipDevices = flag("use-epoch"), flag("skip-devices")
	o.dir.SkipXattrs, o.dir.UserXattrs = flag("skip-xattrs"), flag("user-xattrs")
	o.dir.DigestStore = opts["digest-store"]
	if t, ok := opts["threads"]; ok {
		if _, err := fmt.Sscanf(t, "%d", &o.dir.Threads); err != nil || o.dir.Threads <= 0 {
			fmt.Fprintf(stderr, "mkcomposefs: Invalid threads count %s\n", t)
			return 1
		}
	}
	if err := runMkimage(ctx, o, pos, stdin, stdout, getenv); err != nil {
		fmt.Fprintf(stderr, "mkcomposefs: %s\n", err)
		return 1
	}
	return 0
}

// ComposefsInfoMain runs the binary as composefs-info. It returns the
// exit code.
func ComposefsInfoMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	opts, pos, err := getoptLong(args, []getoptSpec{{"basedir", true}, {"filter", true}, {"help", false}})
	if err != nil {
		fmt.Fprintf(stderr, "composefs-info: %s\n%s", err, composefsInfoUsage)
		return 1
	}
	if _, ok := opts["help"]; ok {
		fmt.Fprint(stdout, composefsInfoUsage)
		return 0
	}
	if _, ok := opts["filter"]; ok {
		fmt.Fprintln(stderr, "composefs-info: --filter is not supported")
		return 1
	}
	if err := runComposefsInfo(pos, opts["basedir"], stdout); err != nil {
		fmt.Fprintf(stderr, "composefs-info: %s\n", err)
		if len(pos) == 0 {
			fmt.Fprint(stderr, composefsInfoUsage)
		}
		return 1
	}
	return 0
}
