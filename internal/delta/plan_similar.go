package delta

import (
	"context"
	"path"
	"strings"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// similarityPercent is how much larger or smaller than a new file an old
// one may be and still count as its previous version (libostree's
// CONTENT_SIZE_SIMILARITY_THRESHOLD_PERCENT).
const similarityPercent = 30

// findModified pairs new regular files with an apparently older version
// in the FROM tree, as libostree does: same file name, or failing that
// the same name up to the first dot ("libfoo.so.1.2" and "libfoo.so.1.3"),
// and a size within similarityPercent. Where libostree takes the first
// such file, this prefers the same path, then the closest size. It moves
// the paired files to p.modified and returns the others.
func (p *plan) findModified(ctx context.Context, r *repo.Repo, from *treeScan, regular []planFile) ([]planFile, error) {
	fuzzy := map[string][]string{}
	for name := range from.basenames {
		if stem, ok := fuzzyStem(name); ok {
			fuzzy[stem] = append(fuzzy[stem], name)
		}
	}
	candidates := func(f planFile) (exact, loose []object.Checksum) {
		base := path.Base(f.path)
		exact = from.basenames[base]
		if stem, ok := fuzzyStem(base); ok {
			for _, name := range fuzzy[stem] {
				if name != base {
					loose = append(loose, from.basenames[name]...)
				}
			}
		}
		return exact, loose
	}

	// Load the headers of every candidate once.
	want := map[object.Checksum]struct{}{}
	for _, f := range regular {
		if !deltaCandidate(f.path, f.info.size) {
			continue
		}
		exact, loose := candidates(f)
		for _, c := range exact {
			want[c] = struct{}{}
		}
		for _, c := range loose {
			want[c] = struct{}{}
		}
	}
	list := make([]object.Checksum, 0, len(want))
	for c := range want {
		list = append(list, c)
	}
	infos, err := loadFileInfos(ctx, r, list)
	if err != nil {
		return nil, err
	}

	var rest []planFile
	for _, f := range regular {
		if !deltaCandidate(f.path, f.info.size) {
			rest = append(rest, f)
			continue
		}
		lo := f.info.size * (100 - similarityPercent) / 100
		hi := f.info.size * (100 + similarityPercent) / 100
		exact, loose := candidates(f)
		best, found := object.Checksum{}, false
		bestScore := int64(-1)
		consider := func(list []object.Checksum, bonus int64) {
			for _, c := range list {
				in, ok := infos[c]
				if !ok || in.symlink || in.size < lo || in.size > hi || in.size == 0 {
					continue
				}
				if p, ok := from.files[c]; ok && !deltaCandidate(p, in.size) {
					continue
				}
				// Closer sizes score higher; the same path beats any size.
				score := bonus + (1 << 40) - abs64(in.size-f.info.size)
				if from.files[c] == f.path {
					score += 1 << 50
				}
				if score > bestScore {
					best, bestScore, found = c, score, true
				}
			}
		}
		consider(exact, 1<<45)
		consider(loose, 0)
		if !found {
			rest = append(rest, f)
			continue
		}
		// The client must be able to read the old file whatever its
		// privileges (a bare-user repo whose parent is a bare one), so
		// libostree skips unreadable ones.
		if infos[best].mode&0o004 == 0 {
			rest = append(rest, f)
			continue
		}
		p.modified = append(p.modified, modifiedFile{planFile: f, from: best, fromInfo: infos[best]})
	}
	return rest, nil
}

// fuzzyStem is the part of a file name before its first dot, when that is
// neither empty nor the whole name.
func fuzzyStem(name string) (string, bool) {
	i := strings.IndexByte(name, '.')
	if i <= 0 {
		return "", false
	}
	return name[:i], true
}

// deltaCandidate reports whether a file may be rebuilt from an older
// version: not empty, and not already compressed (libostree skips .xz
// and .bz2; .gz stays, as gzip --rsyncable output diffs well).
func deltaCandidate(p string, size int64) bool {
	if size == 0 {
		return false
	}
	ext := strings.ToLower(path.Ext(p))
	return ext == ".gz" || !isCompressedExt(ext)
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
