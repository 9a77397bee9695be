package repocmd

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

type showOpts struct {
	related, sizes, raw, noByteswap bool
	listMeta, listDet, printHex     bool
	variantType, metaKey, detKey    string
	gpgHome, gpgVerifyRemote        string
	json                            bool
}

// Show sets up `ostree show`.
func Show(in *clikit.Invocation) func([]string) error {
	var o showOpts
	in.Flag("print-related", 0, `Show the "related" commits`, &o.related)
	in.String("print-variant-type", 0, "TYPE", "Memory map OBJECT (in this case a filename) to the GVariant type string", &o.variantType)
	in.Flag("list-metadata-keys", 0, "List the available metadata keys", &o.listMeta)
	in.String("print-metadata-key", 0, "KEY", "Print string value of metadata key", &o.metaKey)
	in.Flag("print-hex", 0, "For byte array valued keys, output an unquoted hexadecimal string", &o.printHex)
	in.Flag("list-detached-metadata-keys", 0, "List the available detached metadata keys", &o.listDet)
	in.String("print-detached-metadata-key", 0, "KEY", "Print string value of detached metadata key", &o.detKey)
	in.Flag("print-sizes", 0, "Show the commit size metadata", &o.sizes)
	in.Flag("raw", 0, "Show raw variant data", &o.raw)
	in.Flag("no-byteswap", 'B', "Do not automatically convert variant data from big endian", &o.noByteswap)
	in.String("gpg-homedir", 0, "HOMEDIR", "GPG Homedir to use when looking for keyrings", &o.gpgHome)
	in.String("gpg-verify-remote", 0, "REMOTE", "Use REMOTE name for GPG configuration", &o.gpgVerifyRemote)
	in.OwnFlag("json", 0, "Print a commit as JSON", &o.json)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("An object argument is required")
		}
		if o.json {
			return showJSON(in, r, &o, args[0])
		}
		var out strings.Builder
		err = runShow(in, r, &o, args[0], &out)
		// What was printed before an error stays printed, as with g_print.
		in.Stdout.Write([]byte(out.String()))
		return err
	}
}

func runShow(in *clikit.Invocation, r *repo.Repo, o *showOpts, rev string, out *strings.Builder) error {
	ctx := in.Ctx
	resolve := func() (object.Checksum, error) {
		c, _, err := r.ResolveRevExt(ctx, rev, false, true)
		return c, err
	}
	switch {
	case o.metaKey != "" || o.detKey != "":
		c, err := resolve()
		if err != nil {
			return err
		}
		var md object.Metadata
		key := o.metaKey
		if o.detKey != "" {
			key = o.detKey
			md, err = r.LoadDetachedMetadata(ctx, c)
			if err != nil {
				return err
			}
			if md == nil {
				return fmt.Errorf("No detached metadata for commit %s", c)
			}
		} else {
			cm, err := r.LoadCommit(ctx, c)
			if err != nil {
				return err
			}
			md = cm.Metadata
		}
		v, ok := md.Lookup(key)
		if !ok {
			return fmt.Errorf("No such metadata key '%s'", key)
		}
		if b, isBytes := v.Value.([]byte); isBytes && o.printHex {
			fmt.Fprintf(out, "%x\n", b)
			return nil
		}
		if o.noByteswap {
			out.WriteString(gvariant.Print(v.Type, v.Value, true) + "\n")
		} else {
			out.WriteString(clikit.DumpVariant(v.Type, v.Value))
		}
		return nil

	case o.listDet || o.listMeta:
		c, err := resolve()
		if err != nil {
			return err
		}
		md, err := showMetadata(in, r, c, o.listDet)
		if err != nil {
			return err
		}
		// Sorted, as the reference lists them, not in stored order.
		keys := make([]string, len(md))
		for i, e := range md {
			keys[i] = e.Key
		}
		slices.Sort(keys)
		for _, k := range keys {
			out.WriteString(k + "\n")
		}
		return nil

	case o.related:
		c, err := resolve()
		if err != nil {
			return err
		}
		cm, err := r.LoadCommit(ctx, c)
		if err != nil {
			return err
		}
		for _, e := range cm.Related {
			f := e.([]any)
			fmt.Fprintf(out, "%s %x\n", f[0], f[1])
		}
		return nil

	case o.variantType != "":
		t, err := gvariant.ParseType(o.variantType)
		if err != nil {
			return fmt.Errorf("invalid GVariant type %s", o.variantType)
		}
		data, err := os.ReadFile(rev)
		if err != nil {
			return err
		}
		v, err := gvariant.Unmarshal(t, data)
		if err != nil {
			return fmt.Errorf("%s: %v", rev, err)
		}
		out.WriteString(clikit.DumpVariant(t, v))
		return nil

	case o.sizes:
		c, err := resolve()
		if err != nil {
			return err
		}
		return printSizes(in, r, c, out)
	}

	if !object.IsChecksumString(rev) {
		c, err := resolve()
		if err != nil {
			return err
		}
		return printObject(in, r, o, object.TypeCommit, c, out)
	}
	c, err := object.ParseChecksum(rev)
	if err != nil {
		return err
	}
	for _, t := range []object.Type{object.TypeCommit, object.TypeDirMeta, object.TypeDirTree} {
		has, err := r.HasObject(ctx, c, t)
		if err != nil {
			return err
		}
		if has {
			return printObject(in, r, o, t, c, out)
		}
	}
	hdr, rc, size, err := r.LoadFile(ctx, c)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("Couldn't find file object '%s'", c)
		}
		return err
	}
	rc.Close()
	fmt.Fprintf(out, "Object: %s\nType: file\nFile Type: ", c)
	if hdr.IsSymlink() {
		fmt.Fprintf(out, "symlink\nTarget: %s\n", hdr.Target)
	} else {
		fmt.Fprintf(out, "regular\nSize: %d\n", size)
	}
	fmt.Fprintf(out, "Mode: 0%04o\nUid: %d\nGid: %d\n", hdr.Mode, hdr.UID, hdr.GID)
	xa := gvariant.Print(object.XattrsType, xattrsValue(hdr.Xattrs), true)
	fmt.Fprintf(out, "Extended Attributes: { %s }\n", xa)
	return nil
}

// xattrsValue is the a(ayay) value of xattrs, names with their NUL.
func xattrsValue(x object.Xattrs) []any {
	b := object.MarshalXattrs(x)
	v, err := gvariant.Unmarshal(object.XattrsType, b)
	if err != nil {
		return []any{}
	}
	return v.([]any)
}

// printObject is print_object: ot_dump_object, then (for commits) the
// GPG signatures, which this build cannot verify.
func printObject(in *clikit.Invocation, r *repo.Repo, o *showOpts, t object.Type, c object.Checksum, out *strings.Builder) error {
	data, err := r.LoadMetadata(in.Ctx, c, t)
	if err != nil {
		return err
	}
	vt := metadataType(t)
	v, err := gvariant.Unmarshal(vt, data)
	if err != nil {
		return fmt.Errorf("%s %s: %w", t, c, err)
	}
	fmt.Fprintf(out, "%s %s\n", t, c)
	switch {
	case o.noByteswap:
		out.WriteString(gvariant.Print(vt, v, true) + "\n")
	case o.raw:
		out.WriteString(clikit.DumpVariant(vt, v))
		return nil
	}
	if t == object.TypeCommit {
		cm, err := object.CommitFromValue(v.([]any))
		if err != nil {
			return err
		}
		var b strings.Builder
		if err := clikit.DumpCommit(&b, c, cm); err != nil {
			return err
		}
		// DumpCommit starts with the header printed above.
		out.WriteString(strings.TrimPrefix(b.String(), fmt.Sprintf("commit %s\n", c)))
		text, err := clikit.GPGShowSignatures(in, r, c, o.gpgHome, o.gpgVerifyRemote)
		if err != nil {
			return err
		}
		out.WriteString(text)
	}
	return nil
}

// metadataType is the GVariant type of a metadata object.
func metadataType(t object.Type) *gvariant.Type {
	switch t {
	case object.TypeCommit:
		return object.CommitType
	case object.TypeDirTree:
		return gvariant.MustType("(a(say)a(sayay))")
	case object.TypeDirMeta:
		return gvariant.MustType("(uuua(ayay))")
	}
	return object.MetadataType
}

// printSizes is do_print_sizes: the totals of the commit's ostree.sizes,
// and how much of it the repository lacks.
func printSizes(in *clikit.Invocation, r *repo.Repo, c object.Checksum, out *strings.Builder) error {
	cm, err := r.LoadCommit(in.Ctx, c)
	if err != nil {
		return fmt.Errorf("Failed to read commit: %s", clikit.ErrorText(err))
	}
	v, ok := cm.Metadata.Lookup("ostree.sizes")
	if !ok || v.Type.String() != "aay" {
		return fmt.Errorf("No metadata key ostree.sizes in commit")
	}
	var newArch, newUnp, arch, unp uint64
	var newObjs, objs int
	for _, e := range v.Value.([]any) {
		b := e.([]byte)
		if len(b) < 34 {
			return fmt.Errorf("Could not read ostree.sizes metadata entry")
		}
		oc, _ := object.ChecksumFromBytes(b[:32])
		rest := b[32:]
		a, n := uvarint(rest)
		if n == 0 {
			return fmt.Errorf("Unexpected EOF reading ostree.sizes varint")
		}
		rest = rest[n:]
		u, n := uvarint(rest)
		if n == 0 {
			return fmt.Errorf("Unexpected EOF reading ostree.sizes varint")
		}
		rest = rest[n:]
		t := object.TypeFile
		if len(rest) > 0 {
			t = object.Type(rest[0])
			if t < object.TypeFile || t > object.TypeFileXattrsLink {
				return fmt.Errorf("Unexpected ostree.sizes object type %d", rest[0])
			}
		}
		arch += a
		unp += u
		objs++
		has, err := r.HasObject(in.Ctx, oc, t)
		if err != nil {
			return err
		}
		if !has {
			newArch += a
			newUnp += u
			newObjs++
		}
	}
	fmt.Fprintf(out, "Compressed size (needed/total): %s/%s\n"+
		"Unpacked size (needed/total): %s/%s\n"+
		"Number of objects (needed/total): %d/%d\n",
		clikit.FormatSize(newArch), clikit.FormatSize(arch), clikit.FormatSize(newUnp), clikit.FormatSize(unp), newObjs, objs)
	return nil
}

// uvarint reads a LEB128 varint of at most 10 bytes; n is 0 on a short
// or overlong input.
func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

// showJSON is `show --json`: a commit, with its metadata's keys.
func showJSON(in *clikit.Invocation, r *repo.Repo, o *showOpts, rev string) error {
	if o.related || o.sizes || o.raw || o.noByteswap || o.variantType != "" || o.metaKey != "" || o.detKey != "" {
		return errors.New("--json cannot be combined with other output options")
	}
	c, _, err := r.ResolveRevExt(in.Ctx, rev, false, true)
	if err != nil {
		return err
	}
	cm, err := r.LoadCommit(in.Ctx, c)
	if errors.Is(err, errdefs.ErrNotFound) {
		return fmt.Errorf("--json: no commit %s", c)
	}
	if err != nil {
		return err
	}
	j, err := newCommitJSON(c, cm)
	if err != nil {
		return err
	}
	return writeJSON(in.Stdout, j)
}

// showMetadata is commit c's metadata, or its detached metadata, which
// must exist.
func showMetadata(in *clikit.Invocation, r *repo.Repo, c object.Checksum, detached bool) (object.Metadata, error) {
	if !detached {
		cm, err := r.LoadCommit(in.Ctx, c)
		if err != nil {
			return nil, err
		}
		return cm.Metadata, nil
	}
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		return nil, err
	}
	if md == nil {
		return nil, fmt.Errorf("No detached metadata for commit %s", c)
	}
	return md, nil
}
