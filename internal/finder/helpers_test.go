package finder_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/commit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// upstream is a repository with a collection ID and its commits.
type upstream struct {
	r       *repo.Repo
	commits map[string]object.Checksum
}

func initRepo(t *testing.T, path string, mode repo.Mode, cid string) *repo.Repo {
	t.Helper()
	r, err := repo.Init(context.Background(), path, repo.InitOptions{Mode: mode, CollectionID: cid})
	if err != nil {
		t.Fatal(err)
	}
	r.SetFsync(false)
	return r
}

// commitRef commits a small tree holding content to branch with the
// given timestamp.
func commitRef(t *testing.T, r *repo.Repo, branch, content string, ts uint64) object.Checksum {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := commit.ParseTreeSource("dir=" + dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := commit.Run(context.Background(), r, commit.Options{
		Branch: branch, Subject: branch, Trees: []commit.TreeSource{src}, Timestamp: &ts,
		Getenv: func(string) string { return "" }, DisableFsync: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Commit
}

// regenerate writes r's summary, last modified at secs.
func regenerate(t *testing.T, r *repo.Repo, secs int64) {
	t.Helper()
	if err := summary.Regenerate(context.Background(), r, summary.Options{Now: time.Unix(secs, 0)}); err != nil {
		t.Fatal(err)
	}
}

// newUpstream makes an archive repository of collection cid at path with
// one commit per ref (content and timestamp given), and its summary.
func newUpstream(t *testing.T, path, cid string, refs map[string]uint64, summaryTime int64) *upstream {
	t.Helper()
	u := &upstream{r: initRepo(t, path, repo.ModeArchive, cid), commits: map[string]object.Checksum{}}
	for name, ts := range refs {
		u.commits[name] = commitRef(t, u.r, name, name+path, ts)
	}
	regenerate(t, u.r, summaryTime)
	return u
}

// addRemote configures remote name in r.
func addRemote(t *testing.T, r *repo.Repo, name, url, cid string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := remote.Load(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var settings []remote.Setting
	if cid != "" {
		settings = append(settings, remote.Setting{Key: "collection-id", Value: cid})
	}
	if err := cfg.Add(ctx, remote.Fail, name, url, settings); err != nil {
		t.Fatal(err)
	}
}

// verifier is a GPG hook that accepts every commit and records which
// remote's keys were asked for.
type verifier struct {
	mu      sync.Mutex
	remotes map[string]int
	fail    bool
}

func (v *verifier) options() pull.RemoteOptions {
	return pull.RemoteOptions{
		NetworkRetries: -1,
		GPGVerifyCommit: func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error {
			v.mu.Lock()
			defer v.mu.Unlock()
			if v.remotes == nil {
				v.remotes = map[string]int{}
			}
			v.remotes[remote]++
			if v.fail {
				return os.ErrPermission
			}
			return nil
		},
	}
}

func readRef(t *testing.T, r *repo.Repo, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Path(), "refs", rel))
	if err != nil {
		return ""
	}
	return string(b[:len(b)-1])
}
