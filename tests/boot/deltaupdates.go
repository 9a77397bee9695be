package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// DeltaPart is one part of a static delta as `static-delta show` lists it.
type DeltaPart struct {
	Objects     int
	Size, USize int64 // stored (compressed) and uncompressed bytes
}

// MakeDeltaUpdatesDir is MakeUpdatesDir with a static delta from commit
// from to ref's commit in dir/repo, listed in its summary: the commit
// from is pulled in too (generating needs both trees). It returns the
// delta's parts.
func MakeDeltaUpdatesDir(ctx context.Context, g Gostree, dir, buildRepo, ref, from, actions string) ([]DeltaPart, error) {
	repo := filepath.Join(dir, "repo")
	if _, err := os.Stat(filepath.Join(repo, "config")); err != nil {
		if _, err := g.Run(ctx, "init", "--repo="+repo, "--mode=archive"); err != nil {
			return nil, err
		}
	}
	if _, err := g.Run(ctx, "pull-local", "--repo="+repo, buildRepo, from); err != nil {
		return nil, err
	}
	if err := MakeUpdatesDir(ctx, g, dir, buildRepo, ref, actions); err != nil {
		return nil, err
	}
	to, err := g.Run(ctx, "rev-parse", "--repo="+repo, ref)
	if err != nil {
		return nil, err
	}
	to = strings.TrimSpace(to)
	if _, err := g.Run(ctx, "static-delta", "generate", "--repo="+repo, "--from="+from, "--to="+to); err != nil {
		return nil, err
	}
	if _, err := g.Run(ctx, "summary", "--repo="+repo, "-u"); err != nil {
		return nil, err
	}
	out, err := g.Run(ctx, "static-delta", "show", "--repo="+repo, from+"-"+to)
	if err != nil {
		return nil, err
	}
	return parseDeltaParts(out)
}

var partMetaRe = regexp.MustCompile(`(?m)^PartMeta\d+: nobjects=(\d+) size=(\d+) usize=(\d+)$`)

func parseDeltaParts(show string) ([]DeltaPart, error) {
	var parts []DeltaPart
	for _, m := range partMetaRe.FindAllStringSubmatch(show, -1) {
		n, _ := strconv.Atoi(m[1])
		size, _ := strconv.ParseInt(m[2], 10, 64)
		usize, _ := strconv.ParseInt(m[3], 10, 64)
		parts = append(parts, DeltaPart{Objects: n, Size: size, USize: usize})
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("static-delta show lists no parts:\n%s", show)
	}
	return parts, nil
}
