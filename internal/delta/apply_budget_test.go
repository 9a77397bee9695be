package delta

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"golang.org/x/sync/semaphore"
)

func TestPartSchedulerBudget(t *testing.T) {
	ctx := context.Background()
	big := &PartHeader{USize: 32 << 20}
	small := &PartHeader{USize: 1 << 20}
	newSched := func(budget int64) *partScheduler {
		return &partScheduler{mem: semaphore.NewWeighted(budget), budget: budget, run: semaphore.NewWeighted(4)}
	}

	// A part larger than the budget still runs, alone: it takes all of it.
	s := newSched(4 << 20)
	release, err := s.acquire(ctx, big)
	if err != nil {
		t.Fatal(err)
	}
	if s.mem.TryAcquire(1) {
		t.Fatal("a part larger than the budget left room for another")
	}
	release()
	if !s.mem.TryAcquire(4 << 20) {
		t.Fatal("release did not return the budget")
	}

	// Small parts share a large budget.
	s = newSched(64 << 20)
	var releases []func()
	for range 3 {
		r, err := s.acquire(ctx, small)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	rest := 64<<20 - 3*partMemory(small)
	if s.mem.TryAcquire(rest + 1) {
		t.Fatal("the budget admitted more than it holds")
	}
	if !s.mem.TryAcquire(rest) {
		t.Fatal("the small parts took more than their share")
	}
	s.mem.Release(rest)
	for _, r := range releases {
		r()
	}

	// A part that does not fit waits until the context ends.
	s = newSched(partMemory(big))
	r1, err := s.acquire(ctx, big)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.acquire(cctx, small); err == nil {
		t.Fatal("a second part was admitted past the budget")
	}
	r1()
}

// manyParts makes a from-scratch delta with the reference in several
// parts (1 MB each at most) and returns its directory and commit.
func manyParts(t *testing.T) (dir, to string) {
	t.Helper()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	ostreeRef(t, src, "init", "--mode=archive")
	files := map[string]string{"etc/link": "->../usr/share/f0"}
	for i := range 8 {
		files["usr/share/f"+strconv.Itoa(i)] = string(pseudoRandom(300_000+i*1000, uint32(i+1)))
		files["usr/lib/small"+strconv.Itoa(i)] = strings.Repeat("small file "+strconv.Itoa(i), 50)
	}
	tree := filepath.Join(tmp, "tree")
	writeTree(t, tree, files)
	to = refCommit(t, src, "main", tree)
	dir = filepath.Join(tmp, "delta")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ostreeRef(t, src, "static-delta", "generate", "--empty", "--to="+to, "--max-chunk-size=1",
		"--filename="+filepath.Join(dir, "superblock"))
	return dir, to
}

// applyBudget applies the delta in dir to a new bare-user repository
// with the given budget and returns the repository's objects.
func applyBudget(t *testing.T, dir string, budget int64) (string, []object.Name) {
	t.Helper()
	ctx := context.Background()
	dst := filepath.Join(t.TempDir(), "dst")
	ostreeRef(t, dst, "init", "--mode=bare-user")
	var done atomic.Int32
	err := applyDirWith(t, dst, dir, ApplyOptions{MemoryBudget: budget, PartDone: func(int, bool) { done.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if parts := countParts(t, dir); parts < 3 || int(done.Load()) != parts {
		t.Errorf("%d parts done of %d; want several", done.Load(), parts)
	}
	r, err := repo.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	var names []object.Name
	if err := r.ListObjects(ctx, func(n object.Name) error { names = append(names, n); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(names, func(a, b object.Name) int { return strings.Compare(a.String(), b.String()) })
	return dst, names
}

func countParts(t *testing.T, dir string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "superblock"))
	if err != nil {
		t.Fatal(err)
	}
	sb, _, _, err := ReadSuperblockFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	return len(sb.Parts)
}

// A budget far below one part applies the parts one at a time and
// writes the same objects as an ample one.
func TestApplyTinyBudget(t *testing.T) {
	dir, to := manyParts(t)
	tinyRepo, tiny := applyBudget(t, dir, 1)
	_, ample := applyBudget(t, dir, 1<<30)
	if !slices.Equal(tiny, ample) {
		t.Fatalf("a tiny budget wrote %d objects, an ample one %d", len(tiny), len(ample))
	}
	if len(tiny) < 18 {
		t.Fatalf("only %d objects", len(tiny))
	}
	ostreeRef(t, tinyRepo, "fsck")
	if out := ostreeRef(t, tinyRepo, "ls", "-R", to); !strings.Contains(out, "/usr/share/f7") {
		t.Errorf("ls: %s", out)
	}
}
