package repocmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/commit"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

type commitFlags struct {
	parent, subject, body, bodyFile, branch, base string
	editor, orphan, noBindings                    bool
	bindRefs, trees                               []string
	metaStrings, metaVariants, keepMeta, detached []string
	ownerUID, ownerGID                            int
	canonical, bootable, roExec, noXattrs         bool
	selinuxPolicy                                 string
	selinuxEpoch                                  int
	selinuxFromBase, linkSpeedup, devinoCanonical bool
	tarAutocreate                                 bool
	tarFilter, statoverride, skipList             string
	skipIfUnchanged, consume, tableOutput         bool
	gpgSign                                       []string
	gpgHomedir                                    string
	sign                                          []string
	signFromFile, signType                        string
	generateSizes, disableFsync                   bool
	composefsMetadata                             bool
	timestamp                                     string
}

// Commit sets up `ostree commit`.
func Commit(in *clikit.Invocation) func([]string) error {
	f := &commitFlags{ownerUID: -1, ownerGID: -1}
	in.String("parent", 0, "COMMIT", `Parent commit checksum, or "none"`, &f.parent)
	in.String("subject", 's', "SUBJECT", "One line subject", &f.subject)
	in.String("body", 'm', "BODY", "Full description", &f.body)
	in.String("body-file", 'F', "FILE", "Commit message from FILE path", &f.bodyFile)
	in.Flag("editor", 'e', "Use an editor to write the commit message", &f.editor)
	in.String("branch", 'b', "BRANCH", "Branch", &f.branch)
	in.Flag("orphan", 0, "Create a commit without writing a ref", &f.orphan)
	in.Flag("no-bindings", 0, "Do not write any ref bindings", &f.noBindings)
	in.Strings("bind-ref", 0, "BRANCH", "Add a ref to ref binding commit metadata", &f.bindRefs)
	in.String("base", 0, "REV", "Start from the given commit as a base (no modifiers apply)", &f.base)
	in.Strings("tree", 0, "dir=PATH or tar=TARFILE or ref=COMMIT", "Overlay the given argument as a tree", &f.trees)
	in.Strings("add-metadata-string", 0, "KEY=VALUE", "Add a key/value pair to metadata", &f.metaStrings)
	in.Strings("add-metadata", 0, "KEY=VALUE", "Add a key/value pair to metadata, where the KEY is a string, and VALUE is in GVariant Text Format", &f.metaVariants)
	in.Strings("keep-metadata", 0, "KEY", "Keep metadata KEY and its associated VALUE from parent", &f.keepMeta)
	in.Strings("add-detached-metadata-string", 0, "KEY=VALUE", "Add a key/value pair to detached metadata", &f.detached)
	in.Int("owner-uid", 0, "UID", "Set file ownership user id", &f.ownerUID)
	in.Int("owner-gid", 0, "GID", "Set file ownership group id", &f.ownerGID)
	in.Flag("canonical-permissions", 0, "Canonicalize permissions in the same way bare-user does for hardlinked files", &f.canonical)
	in.Flag("bootable", 0, "Flag this commit as a bootable OSTree (e.g. contains a Linux kernel)", &f.bootable)
	in.Flag("mode-ro-executables", 0, "Ensure executable files are not writable", &f.roExec)
	in.Flag("no-xattrs", 0, "Do not import extended attributes", &f.noXattrs)
	in.String("selinux-policy", 0, "PATH", "Set SELinux labels based on policy in root filesystem PATH (may be /)", &f.selinuxPolicy)
	in.Flag("selinux-policy-from-base", 'P', "Set SELinux labels based on first --tree argument", &f.selinuxFromBase)
	// Epoch 1 labels /usr/etc as /etc. Labels come only from a policy,
	// and checkSELinux refuses policies that would label anything, so
	// the epoch is validated and changes no commit.
	in.Options = append(in.Options, &clikit.Option{Long: "selinux-labeling-epoch", Desc: "Configure the default SELinux labeling rules; 0 is the default, 1 enables labeling /usr/etc as /etc", Int: &f.selinuxEpoch})
	in.Flag("link-checkout-speedup", 0, "Optimize for commits of trees composed of hardlinks into the repository", &f.linkSpeedup)
	in.Flag("devino-canonical", 'I', "Assume hardlinked objects are unmodified.  Implies --link-checkout-speedup", &f.devinoCanonical)
	in.Flag("tar-autocreate-parents", 0, "When loading tar archives, automatically create parent directories as needed", &f.tarAutocreate)
	in.String("tar-pathname-filter", 0, "REGEX,REPLACEMENT", "When loading tar archives, use REGEX,REPLACEMENT against path names", &f.tarFilter)
	in.Flag("skip-if-unchanged", 0, "If the contents are unchanged from previous commit, do nothing", &f.skipIfUnchanged)
	in.String("statoverride", 0, "PATH", "File containing list of modifications to make to permissions", &f.statoverride)
	in.String("skip-list", 0, "PATH", "File containing list of files to skip", &f.skipList)
	in.Flag("consume", 0, "Consume (delete) content after commit (for local directories)", &f.consume)
	in.Flag("table-output", 0, "Output more information in a KEY: VALUE format", &f.tableOutput)
	in.Strings("gpg-sign", 0, "KEY-ID", "GPG Key ID to sign the commit with", &f.gpgSign)
	in.String("gpg-homedir", 0, "HOMEDIR", "GPG Homedir to use when looking for keyrings", &f.gpgHomedir)
	in.Strings("sign", 0, "KEY_ID", "Sign the commit with", &f.sign)
	in.String("sign-from-file", 0, "PATH", "Sign the commit with key from the provided file", &f.signFromFile)
	in.String("sign-type", 0, "NAME", "Signature type to use (defaults to 'ed25519')", &f.signType)
	in.Flag("generate-sizes", 0, "Generate size information along with commit metadata", &f.generateSizes)
	in.Flag("generate-composefs-metadata", 0, "Generate composefs commit metadata", &f.composefsMetadata)
	in.Options = append(in.Options,
		&clikit.Option{Long: "disable-fsync", Desc: "Do not invoke fsync()", Bool: &f.disableFsync, Hidden: true},
		&clikit.Option{Long: "fsync", Arg: "POLICY", Desc: "Specify how to invoke fsync()", Func: func(v string) error {
			b, err := parseBoolPolicy(v)
			if err != nil {
				return err
			}
			f.disableFsync = !b
			return nil
		}})
	in.String("timestamp", 0, "TIMESTAMP", "Override the timestamp of the commit", &f.timestamp)
	return func(args []string) error { return runCommit(in, f, args) }
}

// parseBoolPolicy parses a boolean option value as ot_parse_boolean does.
func parseBoolPolicy(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes":
		return true, nil
	case "0", "false", "no", "none":
		return false, nil
	}
	return false, fmt.Errorf("Invalid boolean argument '%s'", v)
}

// parseKeyValues builds metadata entries from KEY=VALUE arguments; with
// variant the value is GVariant text.
func parseKeyValues(args []string, variant bool) (object.Metadata, error) {
	var md object.Metadata
	for _, s := range args {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("Missing '=' in KEY=VALUE metadata '%s'", s)
		}
		if !variant {
			md = append(md, object.MetaEntry{Key: k, Value: gvariant.NewVariant("s", v)})
			continue
		}
		t, val, err := gvariant.ParseAny(v)
		if err != nil {
			return nil, fmt.Errorf("Parsing %s: %v", s, err)
		}
		md = append(md, object.MetaEntry{Key: k, Value: gvariant.Variant{Type: t, Value: val}})
	}
	return md, nil
}

func runCommit(in *clikit.Invocation, f *commitFlags, args []string) error {
	ctx := in.Ctx
	if os.Getenv("GOGC") == "" {
		// The live heap is a few MiB of I/O buffers and deflate state;
		// a tighter GC target keeps peak RSS below the C tool's.
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	r, err := in.OpenRepo()
	if err != nil {
		return err
	}
	o := commit.Options{
		Branch: f.branch, Orphan: f.orphan, Parent: f.parent, Subject: f.subject, Base: f.base,
		Stdin: in.Stdin, SkipIfUnchanged: f.skipIfUnchanged, NoBindings: f.noBindings,
		BindRefs: f.bindRefs, KeepMetadata: f.keepMeta, Bootable: f.bootable,
		Getenv: in.Env, DisableFsync: f.disableFsync,
		LinkCheckoutSpeedup: f.linkSpeedup || f.devinoCanonical,
		ComposefsMetadata:   f.composefsMetadata,
	}
	var mod *commit.Modifier
	newMod := func() *commit.Modifier {
		if mod == nil {
			mod = commit.NewModifier()
		}
		return mod
	}
	if f.statoverride != "" {
		if err := newMod().LoadStatOverride(ctx, f.statoverride); err != nil {
			return err
		}
	}
	if f.skipList != "" {
		if err := newMod().LoadSkipList(ctx, f.skipList); err != nil {
			return err
		}
	}
	if f.branch == "" && !f.orphan {
		return fmt.Errorf("A branch must be specified with --branch, or use --orphan")
	}
	if o.Metadata, err = parseKeyValues(f.metaStrings, false); err != nil {
		return err
	}
	vmd, err := parseKeyValues(f.metaVariants, true)
	if err != nil {
		return err
	}
	o.Metadata = append(o.Metadata, vmd...)
	if o.DetachedMetadata, err = parseKeyValues(f.detached, false); err != nil {
		return err
	}
	if f.canonical && f.ownerUID > 0 {
		return fmt.Errorf("Cannot specify both --canonical-permissions and non-zero --owner-uid")
	}
	if f.canonical && f.ownerGID > 0 {
		return fmt.Errorf("Cannot specify both --canonical-permissions and non-zero --owner-gid")
	}
	if f.selinuxPolicy != "" && f.selinuxFromBase {
		return fmt.Errorf("Cannot specify both --selinux-policy and --selinux-policy-from-base")
	}
	if f.selinuxEpoch != 0 && f.selinuxEpoch != 1 {
		return fmt.Errorf("Unknown SELinux labeling epoch: %d", f.selinuxEpoch)
	}
	o.GPGSign, o.GPGHomedir = f.gpgSign, f.gpgHomedir
	o.Sign, o.SignType = f.sign, f.signType
	if f.signFromFile != "" {
		keys, err := readSignKeysFile(f.signFromFile)
		if err != nil {
			return err
		}
		o.Sign = append(append([]string(nil), f.sign...), keys...)
	}
	buo := r.Mode() == repo.ModeBareUserOnly
	if f.canonical || buo {
		newMod().CanonicalPermissions = true
	}
	if f.noXattrs || buo {
		newMod().SkipXattrs = true
	}
	if f.consume {
		newMod().Consume = true
	}
	if f.devinoCanonical {
		newMod().DevinoCanonical = true
	}
	if f.generateSizes {
		newMod().GenerateSizes = true
	}
	if f.ownerUID >= 0 || f.ownerGID >= 0 || f.roExec {
		m := newMod()
		m.OwnerUID, m.OwnerGID, m.ROExecutables = f.ownerUID, f.ownerGID, f.roExec
	}
	o.Modifier = mod
	switch {
	case f.editor:
		return fmt.Errorf("Editing the commit message with --editor is not supported")
	case f.bodyFile != "":
		b, err := os.ReadFile(f.bodyFile)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return fmt.Errorf("Invalid UTF-8 in %s", f.bodyFile)
		}
		o.Body = string(b)
	default:
		o.Body = f.body
	}
	if f.timestamp != "" {
		ts, err := commit.ParseTimestamp(f.timestamp, time.Now())
		if err != nil {
			return err
		}
		o.Timestamp = &ts
	}
	o.Archive.AutocreateParents = f.tarAutocreate
	if f.tarFilter != "" {
		if o.Archive.TranslatePathname, err = commit.PathnameFilter(f.tarFilter); err != nil {
			return err
		}
	}
	if len(f.trees) == 0 {
		p := "."
		if len(args) > 0 {
			p = args[0]
		}
		o.Trees = []commit.TreeSource{{Kind: "dir", Arg: p}}
	}
	for _, t := range f.trees {
		ts, err := commit.ParseTreeSource(t)
		if err != nil {
			return err
		}
		o.Trees = append(o.Trees, ts)
	}
	if err := checkSELinux(f, o.Trees[0]); err != nil {
		return err
	}
	res, err := commit.Run(ctx, r, o)
	if err != nil {
		var ue *commit.UnmatchedError
		if errors.As(err, &ue) {
			for _, p := range ue.Paths {
				fmt.Fprintf(in.Stderr, "Unmatched %s path: %s\n", ue.What, p)
			}
		}
		return libcErrno(err)
	}
	if f.branch != "" {
		if err := summary.MaybeRegenerate(ctx, r); err != nil {
			return err
		}
	}
	if f.tableOutput {
		s := res.Stats
		fmt.Fprintf(in.Stdout, "Commit: %s\nMetadata Total: %d\nMetadata Written: %d\nContent Total: %d\nContent Written: %d\nContent Cache Hits: %d\nContent Bytes Written: %d\n",
			res.Commit, s.MetadataTotal, s.MetadataWritten, s.ContentTotal, s.ContentWritten, s.ContentCacheHits, s.ContentBytesWritten)
		return nil
	}
	fmt.Fprintln(in.Stdout, res.Commit)
	return nil
}

// checkSELinux accepts --selinux-policy and -P only where they label
// nothing: a root without an SELinux configuration (libostree then finds
// no policy). Real labeling is not supported.
func checkSELinux(f *commitFlags, first commit.TreeSource) error {
	root := f.selinuxPolicy
	if f.selinuxFromBase {
		switch first.Kind {
		case "tar":
			return fmt.Errorf("Cannot use --selinux-policy-from-base with tar")
		case "dir":
			root = first.Arg
		default:
			return fmt.Errorf("SELinux labeling from a commit is not supported")
		}
	}
	if root == "" {
		return nil
	}
	for _, p := range []string{"usr/etc/selinux/config", "etc/selinux/config"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			return fmt.Errorf("SELinux labeling is not supported")
		}
	}
	return nil
}

// readSignKeysFile is --sign-from-file (libostree 2025.2): the secret
// keys in PATH, one a line, as if each were given with --sign.
func readSignKeysFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		abs, _ := filepath.Abs(path)
		return nil, fmt.Errorf("Error opening file %s: %w", abs, err)
	}
	var keys []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			keys = append(keys, l)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no keys in %s", path)
	}
	return keys, nil
}
