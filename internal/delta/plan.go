package delta

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// plan is what a delta will contain, in libostree's order: new metadata,
// then content objects rebuilt from an older version (rollsum or bsdiff
// candidates), then new regular files, then symlinks. Fallbacks are left
// out of the parts.
type plan struct {
	meta      []object.Name
	modified  []modifiedFile
	files     []planFile
	symlinks  []planFile
	fallbacks []planFile

	// counts for the generator's report
	newMeta, newRegular, newSymlinks int
}

// planFile is a new content object.
type planFile struct {
	csum object.Checksum
	path string
	info fileInfo
}

// modifiedFile is a new regular file with an apparently similar file in
// the FROM commit.
type modifiedFile struct {
	planFile
	from     object.Checksum
	fromInfo fileInfo
}

// makePlan compares the trees of from (zero for a scratch delta) and to.
func makePlan(ctx context.Context, r *repo.Repo, from, to object.Checksum, opts *GenerateOptions) (*plan, error) {
	toScan, err := scanCommit(ctx, r, to)
	if err != nil {
		return nil, err
	}
	var fromScan *treeScan
	if !from.IsZero() {
		if fromScan, err = scanCommit(ctx, r, from); err != nil {
			return nil, err
		}
	}
	p := &plan{}
	for n := range toScan.meta {
		if fromScan != nil {
			if _, ok := fromScan.meta[n]; ok {
				continue
			}
		}
		p.newMeta++
		// The TO commit travels in the superblock.
		if n.Type == object.TypeCommit && n.Checksum == to {
			continue
		}
		p.meta = append(p.meta, n)
	}
	// Dirtrees then dirmetas (similar objects compress together), then by
	// checksum for a reproducible order.
	slices.SortFunc(p.meta, func(a, b object.Name) int {
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return slices.Compare(a.Checksum[:], b.Checksum[:])
	})

	var newFiles []object.Checksum
	for c := range toScan.files {
		if fromScan != nil {
			if _, ok := fromScan.files[c]; ok {
				continue
			}
		}
		newFiles = append(newFiles, c)
	}
	infos, err := loadFileInfos(ctx, r, newFiles)
	if err != nil {
		return nil, err
	}
	var regular []planFile
	for _, c := range newFiles {
		f := planFile{csum: c, path: toScan.files[c], info: infos[c]}
		if f.info.symlink {
			p.symlinks = append(p.symlinks, f)
		} else {
			regular = append(regular, f)
		}
	}
	p.newRegular, p.newSymlinks = len(regular), len(p.symlinks)

	if fromScan != nil {
		regular, err = p.findModified(ctx, r, fromScan, regular)
		if err != nil {
			return nil, err
		}
	}
	for _, f := range regular {
		if opts.MinFallbackSize > 0 && f.info.size > opts.MinFallbackSize {
			p.fallbacks = append(p.fallbacks, f)
		} else {
			p.files = append(p.files, f)
		}
	}
	slices.SortFunc(p.files, compareForCompression)
	slices.SortFunc(p.fallbacks, func(a, b planFile) int { return strings.Compare(a.path, b.path) })
	slices.SortFunc(p.symlinks, func(a, b planFile) int { return strings.Compare(a.path, b.path) })
	slices.SortFunc(p.modified, func(a, b modifiedFile) int { return strings.Compare(a.path, b.path) })
	return p, nil
}

// compareForCompression orders new files so that similar ones sit next
// to each other in a part, within reach of the compressor's dictionary:
// by extension, then name, then path. Files that are already compressed
// go last.
func compareForCompression(a, b planFile) int {
	ea, eb := path.Ext(a.path), path.Ext(b.path)
	if ca, cb := isCompressedExt(ea), isCompressedExt(eb); ca != cb {
		if ca {
			return 1
		}
		return -1
	}
	if c := strings.Compare(ea, eb); c != 0 {
		return c
	}
	if c := strings.Compare(path.Base(a.path), path.Base(b.path)); c != 0 {
		return c
	}
	return strings.Compare(a.path, b.path)
}

// compressedExts are extensions of files whose content is already
// compressed: neither bsdiff nor the part compressor gains on them.
var compressedExts = map[string]bool{
	".xz": true, ".bz2": true, ".gz": true, ".zst": true, ".lz4": true, ".lzma": true,
	".deb": true, ".rpm": true, ".zip": true, ".jar": true, ".whl": true,
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true,
	".woff": true, ".woff2": true,
}

func isCompressedExt(ext string) bool { return compressedExts[strings.ToLower(ext)] }
