package remotecmd_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/testutil"
)

// remoteSrcRepo makes, with the reference, an archive repository with
// refs main and other and, when withSummary, a summary.
func remoteSrcRepo(t *testing.T, ref string, withSummary bool) string {
	t.Helper()
	d := t.TempDir()
	src, tree := filepath.Join(d, "src"), filepath.Join(d, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tree, "file"), []byte("content\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "sub", "more"), []byte(strings.Repeat("x", 5000)), 0o644)
	clitest.MustRef(t, ref, "init", "--repo="+src, "--mode=archive")
	clitest.MustRef(t, ref, "commit", "--repo="+src, "-b", "main", "-s", "one", "--add-metadata-string=version=1.0", "--tree=dir="+tree)
	clitest.MustRef(t, ref, "commit", "--repo="+src, "-b", "other", "-s", "two", "--tree=dir="+tree)
	if withSummary {
		clitest.MustRef(t, ref, "summary", "-u", "--repo="+src)
	}
	return src
}

// serveRepoDir serves dir with our server, through wrap when set.
func serveRepoDir(t *testing.T, dir string, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	h, err := server.New(dir, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var hh http.Handler = h
	if wrap != nil {
		hh = wrap(h)
	}
	srv := httptest.NewServer(hh)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return srv
}

// cliResult is what one CLI run printed.
type cliResult struct {
	Out, Err string
	Code     int
}

// runBoth runs args against two repositories: the reference against
// refRepo and our CLI against ourRepo. In the output, either path reads
// as REPO. The reference runs in its repository, where libostree looks
// for list-cookies' jar.
func runBoth(t *testing.T, ref, refRepo, ourRepo string, args ...string) (want, got cliResult) {
	t.Helper()
	sub := func(repoPath string) []string {
		out := make([]string, len(args))
		for i, a := range args {
			out[i] = strings.ReplaceAll(a, "REPO", repoPath)
		}
		return out
	}
	cmd := exec.Command(ref, sub(refRepo)...)
	cmd.Args[0] = "ostree"
	cmd.Dir = refRepo
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		want.Code = ee.ExitCode()
	}
	want.Out, want.Err = strings.ReplaceAll(o.String(), refRepo, "REPO"), strings.ReplaceAll(e.String(), refRepo, "REPO")
	got.Out, got.Err, got.Code = clitest.RunOurs(t, nil, sub(ourRepo)...)
	got.Out, got.Err = strings.ReplaceAll(got.Out, ourRepo, "REPO"), strings.ReplaceAll(got.Err, ourRepo, "REPO")
	return want, got
}

// LastLine drops the usage text some errors print first.
func errLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// twoRepos makes an empty archive repository for each implementation,
// each made by its own init.
func twoRepos(t *testing.T, ref string) (refRepo, ourRepo string) {
	t.Helper()
	d := t.TempDir()
	refRepo, ourRepo = filepath.Join(d, "ref"), filepath.Join(d, "ours")
	clitest.MustRef(t, ref, "init", "--repo="+refRepo, "--mode=archive")
	if _, errs, code := clitest.RunOurs(t, nil, "init", "--repo="+ourRepo, "--mode=archive"); code != 0 {
		t.Fatal(errs)
	}
	return refRepo, ourRepo
}

// TestRemoteRefsSummaryMatchReference compares `remote refs` and
// `remote summary` with the reference's, for plain and signed summaries,
// remotes without summary, file remotes and errors.
func TestRemoteRefsSummaryMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	src := remoteSrcRepo(t, ref, true)
	unsigned, noSummary := filepath.Join(t.TempDir(), "unsigned"), filepath.Join(t.TempDir(), "nosummary")
	for _, d := range []string{unsigned, noSummary} {
		if err := os.CopyFS(d, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(noSummary, "summary"))
	home := clitest.GPGCopyKeys(t)
	if _, errs, code := clitest.RunOurs(t, nil, "summary", "-u", "--repo="+src, "--gpg-sign=7FCA23D8472CDAFA", "--gpg-homedir="+home); code != 0 {
		t.Fatal(errs)
	}
	url := serveRepoDir(t, src, nil).URL
	noSumURL := serveRepoDir(t, noSummary, nil).URL
	unsignedURL := serveRepoDir(t, unsigned, nil).URL
	refRepo, ourRepo := twoRepos(t, ref)
	cache := t.TempDir()
	// Our remote add (compared elsewhere) configures both repositories.
	for _, args := range [][]string{
		{"remote", "add", "--repo=REPO", "--no-gpg-verify", "origin", url},
		{"remote", "add", "--repo=REPO", "--no-gpg-verify", "--set=gpg-verify-summary=true", "--gpg-import=" + filepath.Join(home, "key1.asc"), "signed", url},
		{"remote", "add", "--repo=REPO", "--no-gpg-verify", "--set=gpg-verify-summary=true", "--gpg-import=" + filepath.Join(home, "key2.asc"), "wrongkey", url},
		{"remote", "add", "--repo=REPO", "--no-gpg-verify", "nosum", noSumURL},
		{"remote", "add", "--repo=REPO", "--no-gpg-verify", "--set=gpg-verify-summary=true", "nosumsigned", noSumURL},
		{"remote", "add", "--repo=REPO", "--no-gpg-verify", "--set=gpg-verify-summary=true", "unsignedsum", unsignedURL},
		{"remote", "add", "--repo=REPO", "--no-gpg-verify", "file", "file://" + src},
	} {
		for _, rp := range []string{refRepo, ourRepo} {
			a := make([]string, len(args))
			for i := range args {
				a[i] = strings.ReplaceAll(args[i], "REPO", rp)
			}
			if _, errs, code := clitest.RunOurs(t, nil, a...); code != 0 {
				t.Fatalf("%v: %s", a, errs)
			}
		}
	}
	queries := [][]string{
		{"remote", "refs", "--repo=REPO", "origin"},
		{"remote", "refs", "--repo=REPO", "signed"},
		{"remote", "refs", "--repo=REPO", "wrongkey"},
		{"remote", "refs", "--repo=REPO", "nosum"},
		{"remote", "refs", "--repo=REPO", "nosumsigned"},
		{"remote", "refs", "--repo=REPO", "file"},
		{"remote", "refs", "--repo=REPO", "unsignedsum"},
		// (libostree fails to cache the summary of a file:// name that
		// has a summary.sig.)
		{"remote", "refs", "--repo=REPO", "file://" + unsigned},
		{"remote", "refs", "--repo=REPO", "nosuch"},
		{"remote", "refs", "--repo=REPO"},
		{"remote", "summary", "--repo=REPO", "origin"},
		{"remote", "summary", "--repo=REPO", "--raw", "origin"},
		{"remote", "summary", "--repo=REPO", "signed"},
		{"remote", "summary", "--repo=REPO", "--raw", "signed"},
		{"remote", "summary", "--repo=REPO", "file"},
		{"remote", "summary", "--repo=REPO", "nosum"},
		{"remote", "summary", "--repo=REPO", "nosuch"},
		{"remote", "summary", "--repo=REPO"},
	}
	t.Run("queries", func(t *testing.T) {
		for _, args := range queries {
			t.Run(strings.Join(args[3:], " "), func(t *testing.T) {
				t.Parallel()
				want, got := runBoth(t, ref, refRepo, ourRepo, args...)
				if want.Code != got.Code || want.Out != got.Out || errLine(want.Err) != errLine(got.Err) {
					t.Errorf("%v:\nreference: %+v\nours:      %+v", args, want, got)
				}
			})
		}
	})
	// Both cache a signed summary in the same place, REPO/tmp/cache
	// or --cache-dir. (Unlike libostree, we also cache summaries that
	// then fail verification, and not those of file:// remotes.)
	for _, dir := range []string{filepath.Join("tmp", "cache"), "custom"} {
		args := []string{"remote", "refs", "--repo=REPO", "signed"}
		if dir == "custom" {
			args = append(args, "--cache-dir="+filepath.Join(cache, "REPO"))
			os.MkdirAll(filepath.Join(cache, refRepo), 0o755)
			os.MkdirAll(filepath.Join(cache, ourRepo), 0o755)
		}
		runBoth(t, ref, refRepo, ourRepo, args...)
		list := func(repoPath string) []string {
			base := filepath.Join(repoPath, dir)
			if dir == "custom" {
				base = filepath.Join(cache, repoPath)
			}
			var out []string
			filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && (strings.Contains(p, "origin") || strings.Contains(p, "signed")) {
					rel, _ := filepath.Rel(base, p)
					out = append(out, rel)
				}
				return nil
			})
			sort.Strings(out)
			return out
		}
		if diff := cmp.Diff(list(refRepo), list(ourRepo)); diff != "" || len(list(ourRepo)) == 0 {
			t.Errorf("%s: cached files (-reference +ours):\n%s", dir, diff)
		}
	}
}

// expiresRe matches the expiry of a cookie, which depends on the second
// add-cookie ran.
var expiresRe = regexp.MustCompile(`(?m)(^Expires: \d{4}-\d\d-\d\d) \d\d:\d\d:\d\d|\t\d+(\t[^\t\n]*\t[^\t\n]*$)`)

func normExpiry(s string) string { return expiresRe.ReplaceAllString(s, "$1 TIME${2}") }

// TestRemoteCookiesMatchReference runs the cookie commands with both
// implementations, reads each other's jars, and pulls from a server that
// demands the cookies with jars the other implementation wrote.
func TestRemoteCookiesMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	refRepo, ourRepo := twoRepos(t, ref)
	jar := func(repoPath string) string {
		b, _ := os.ReadFile(filepath.Join(repoPath, "origin.cookies.txt"))
		return normExpiry(string(b))
	}
	for _, args := range [][]string{
		{"remote", "list-cookies", "--repo=REPO", "origin"},
		{"remote", "add-cookie", "--repo=REPO", "origin", "127.0.0.1", "/", "foo", "bar"},
		{"remote", "add-cookie", "--repo=REPO", "origin", ".example.com", "/p", "baz", "badger"},
		{"remote", "add-cookie", "--repo=REPO", "origin", "127.0.0.1", "/", "baz", "badger"},
		{"remote", "list-cookies", "--repo=REPO", "origin"},
		{"remote", "delete-cookie", "--repo=REPO", "origin", ".example.com", "/p", "baz"},
		{"remote", "delete-cookie", "--repo=REPO", "origin", ".example.com", "/p", "baz"},
		{"remote", "list-cookies", "--repo=REPO", "origin"},
		{"remote", "add-cookie", "--repo=REPO", "origin", "127.0.0.1", "/"},
		{"remote", "delete-cookie", "--repo=REPO", "origin"},
		{"remote", "list-cookies", "--repo=REPO"},
	} {
		want, got := runBoth(t, ref, refRepo, ourRepo, args...)
		want.Out, got.Out = normExpiry(want.Out), normExpiry(got.Out)
		if want.Code != got.Code || want.Out != got.Out || errLine(want.Err) != errLine(got.Err) {
			t.Errorf("%v:\nreference: %+v\nours:      %+v", args, want, got)
		}
		if w, g := jar(refRepo), jar(ourRepo); w != g {
			t.Errorf("%v: jar\nreference: %q\nours:      %q", args, w, g)
		}
	}
	for _, p := range []string{refRepo, ourRepo} {
		st, err := os.Stat(filepath.Join(p, "origin.cookies.txt"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: jar after delete-cookie %v, %v", p, st, err)
		}
	}
	// Each lists the jar the other wrote.
	cmd := exec.Command(ref, "remote", "list-cookies", "--repo="+ourRepo, "origin")
	cmd.Dir = ourRepo
	refOut, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	ourOut, _, _ := clitest.RunOurs(t, nil, "remote", "list-cookies", "--repo="+refRepo, "origin")
	if normExpiry(string(refOut)) != normExpiry(ourOut) || !strings.Contains(ourOut, "Name: baz\n") {
		t.Errorf("cross listing:\nreference of ours: %s\nours of reference: %s", refOut, ourOut)
	}

	// Pulls send the cookies of the jar the other implementation wrote.
	src := remoteSrcRepo(t, ref, true)
	srv := serveRepoDir(t, src, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			foo, err1 := r.Cookie("foo")
			baz, err2 := r.Cookie("baz")
			if err1 != nil || err2 != nil || foo.Value != "bar" || baz.Value != "badger" {
				http.Error(w, "cookies missing", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	pullRef, pullOurs := filepath.Join(t.TempDir(), "ref"), filepath.Join(t.TempDir(), "ours")
	for _, p := range []string{pullRef, pullOurs} {
		clitest.RunOurs(t, nil, "init", "--repo="+p, "--mode=archive")
		clitest.RunOurs(t, nil, "remote", "add", "--repo="+p, "--no-gpg-verify", "origin", srv.URL)
	}
	pull := func() (int, int) {
		_, _, rc := clitest.RunRef(t, ref, "pull", "--repo="+pullRef, "--disable-fsync", "--network-retries=0", "origin", "main")
		_, _, oc := clitest.RunOurs(t, nil, "pull", "--repo="+pullOurs, "--disable-fsync", "--network-retries=0", "origin", "main")
		return rc, oc
	}
	if rc, oc := pull(); rc == 0 || oc == 0 {
		t.Errorf("pull without cookies: reference exit %d, ours %d", rc, oc)
	}
	for _, c := range [][]string{{"127.0.0.1", "/", "foo", "bar"}, {"127.0.0.1", "/", "baz", "badger"}} {
		clitest.RunOurs(t, nil, append([]string{"remote", "add-cookie", "--repo=" + pullRef, "origin"}, c...)...)
		clitest.MustRef(t, ref, append([]string{"remote", "add-cookie", "--repo=" + pullOurs, "origin"}, c...)...)
	}
	if rc, oc := pull(); rc != 0 || oc != 0 {
		t.Errorf("pull with cookies: reference exit %d, ours %d", rc, oc)
	}
	clitest.RunOurs(t, nil, "remote", "delete-cookie", "--repo="+pullRef, "origin", "127.0.0.1", "/", "baz")
	clitest.MustRef(t, ref, "remote", "delete-cookie", "--repo="+pullOurs, "origin", "127.0.0.1", "/", "baz")
	for _, p := range []string{pullRef, pullOurs} {
		os.RemoveAll(filepath.Join(p, "tmp", "cache"))
		os.Remove(filepath.Join(p, "refs", "remotes", "origin", "main"))
	}
	if rc, oc := pull(); rc == 0 || oc == 0 {
		t.Errorf("pull after delete-cookie: reference exit %d, ours %d", rc, oc)
	}
}

// TestRemoteJSON checks the --json output of remote list, refs and
// list-cookies, which the reference does not have.
func TestRemoteJSON(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	src := remoteSrcRepo(t, ref, true)
	url := serveRepoDir(t, src, nil).URL + "/?a=1&b=2"
	d := t.TempDir()
	rp := filepath.Join(d, "repo")
	for _, args := range [][]string{
		{"init", "--repo=" + rp},
		{"remote", "add", "--repo=" + rp, "--no-gpg-verify", "origin", url},
		{"remote", "add", "--repo=" + rp, "--no-gpg-verify", "ml", "metalink=http://example.com/metalink.xml"},
		{"remote", "add-cookie", "--repo=" + rp, "origin", ".example.com", "/", "n", "v"},
	} {
		if _, errs, code := clitest.RunOurs(t, nil, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	decode := func(v any, args ...string) {
		t.Helper()
		out, errs, code := clitest.RunOurs(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	var remotes []map[string]any
	decode(&remotes, "remote", "list", "--json", "--repo="+rp)
	if diff := cmp.Diff([]map[string]any{{"name": "ml"}, {"name": "origin", "url": url}}, remotes); diff != "" {
		t.Errorf("remote list --json (-want +got):\n%s", diff)
	}
	var refs []map[string]any
	decode(&refs, "remote", "refs", "--json", "--repo="+rp, "origin")
	want := []map[string]any{
		{"remote": "origin", "ref": "main", "checksum": clitest.MustRef(t, ref, "rev-parse", "--repo="+src, "main")},
		{"remote": "origin", "ref": "other", "checksum": clitest.MustRef(t, ref, "rev-parse", "--repo="+src, "other")},
	}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("remote refs --json (-want +got):\n%s", diff)
	}
	var cookies []map[string]any
	decode(&cookies, "remote", "list-cookies", "--json", "--repo="+rp, "origin")
	if len(cookies) != 1 || cookies[0]["domain"] != ".example.com" || cookies[0]["include_subdomains"] != true ||
		cookies[0]["secure"] != false || cookies[0]["name"] != "n" || cookies[0]["value"] != "v" || cookies[0]["expires"].(float64) < 2e9 {
		t.Errorf("list-cookies --json = %v", cookies)
	}
	decode(&cookies, "remote", "list-cookies", "--json", "--repo="+rp, "none")
	if cookies == nil || len(cookies) != 0 {
		t.Errorf("no cookies: %v, want []", cookies)
	}
}

// TestRemoteAddCLIMatchesReference runs remote add, delete, list and
// show-url with each option against both implementations and compares
// their output and the configuration files they leave.
func TestRemoteAddCLIMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	d := t.TempDir()
	refBase, ourBase := filepath.Join(d, "ref"), filepath.Join(d, "ours")
	keyFile := filepath.Join(d, "key.pub")
	for _, base := range []string{refBase, ourBase} {
		// A deployment root (it has a "sysroot" entry) keeps its remotes
		// in etc/ostree/remotes.d.
		for _, p := range []string{"sys/ostree/deploy", "sys/sysroot", "sys/boot"} {
			os.MkdirAll(filepath.Join(base, p), 0o755)
		}
		clitest.MustRef(t, ref, "init", "--repo="+filepath.Join(base, "repo"))
		clitest.MustRef(t, ref, "init", "--repo="+filepath.Join(base, "sys/ostree/repo"), "--mode=bare")
	}
	files := func(base string) string {
		var b strings.Builder
		for _, p := range []string{"repo/config", "sys/ostree/repo/config"} {
			data, _ := os.ReadFile(filepath.Join(base, p))
			b.WriteString(p + ":\n" + string(data))
		}
		ents, _ := os.ReadDir(filepath.Join(base, "sys/etc/ostree/remotes.d"))
		for _, e := range ents {
			data, _ := os.ReadFile(filepath.Join(base, "sys/etc/ostree/remotes.d", e.Name()))
			b.WriteString(e.Name() + ":\n" + string(data))
		}
		return b.String()
	}
	add := []string{"remote", "add", "--repo=REPO/repo"}
	for _, args := range [][]string{
		append(add, "origin", "http://example.com/repo"),
		append(add, "origin", "http://example.com/other"),
		append(add, "--if-not-exists", "origin", "http://example.com/other"),
		append(add, "--force", "--no-gpg-verify", "origin", "http://example.com/new", "main", "other"),
		append(add, "--set=tls-permissive=true", "--set=proxy=http://proxy:3128", "--set=http2=false", "--set=tls-ca-path=/etc/ca.pem", "s", "https://s/"),
		{"remote", "--set=xa.title=Before", "add", "--repo=REPO/repo", "o2", "http://o2/"},
		append(add, "--no-gpg-verify", "--contenturl=mirrorlist=http://m/list", "--collection-id=org.example.C", "c", "mirrorlist=http://m/list"),
		append(add, "m", "metalink=http://m/metalink.xml"),
		// The reference is built without ed25519; its dummy signature
		// type shows how sign-verify is stored.
		append(add, "--sign-verify=dummy=inline:x", "sv", "http://sv/"),
		append(add, "--sign-verify=dummy=file:"+keyFile, "--sign-verify=dummy=inline:y", "sv2", "http://sv2/"),
		append(add, "--no-sign-verify", "nsv", "http://nsv/"),
		append(add, "--sign-verify=bogus=inline:x", "bad", "http://x/"),
		append(add, "--sign-verify=dummy=pem:x", "bad", "http://x/"),
		append(add, "--sign-verify=dummy", "bad", "http://x/"),
		append(add, "--sign-verify=dummy=inline:x", "--no-sign-verify", "bad", "http://x/"),
		append(add, "--set=novalue", "bad", "http://x/"),
		append(add, "--if-not-exists", "--force", "bad", "http://x/"),
		append(add, "bad"),
		append(add, "bad name", "http://x/"),
		append(add, "--custom-backend=flatpak", "cb"),
		{"remote", "list", "--repo=REPO/repo"},
		{"remote", "list", "--repo=REPO/repo", "-u"},
		{"remote", "show-url", "--repo=REPO/repo", "c"},
		{"remote", "show-url", "--repo=REPO/repo", "m"},
		{"remote", "show-url", "--repo=REPO/repo", "nosuch"},
		{"remote", "delete", "--repo=REPO/repo", "origin"},
		{"remote", "delete", "--repo=REPO/repo", "origin"},
		{"remote", "delete", "--repo=REPO/repo", "--if-exists", "origin"},
		{"remote", "delete", "--repo=REPO/repo", "m"},
		{"remote", "delete", "--repo=REPO/repo", "cb"},
		{"remote", "list", "--repo=REPO/repo", "-u"},
		{"remote", "add", "--sysroot=REPO/sys", "--no-gpg-verify", "d", "http://d/"},
		{"remote", "add", "--sysroot=REPO/sys", "--if-not-exists", "d", "http://other/"},
		{"remote", "add", "--sysroot=REPO/sys", "--force", "d", "http://d2/"},
		{"remote", "add", "--sysroot=REPO/sys", "d", "http://d3/"},
		{"remote", "add", "--sysroot=REPO/sys", "e", "http://e/"},
		{"remote", "delete", "--sysroot=REPO/sys", "e"},
	} {
		want, got := runBoth(t, ref, refBase, ourBase, args...)
		if want.Code != got.Code || want.Out != got.Out || errLine(want.Err) != errLine(got.Err) {
			t.Errorf("%v:\nreference: %+v\nours:      %+v", args, want, got)
		}
		if w, g := files(refBase), files(ourBase); w != g {
			t.Errorf("%v: files\nreference: %s\nours:      %s", args, w, g)
		}
	}
}

// TestRemoteAddSignVerify checks how --sign-verify stores ed25519 keys,
// as libostree built with ed25519 support does.
func TestRemoteAddSignVerify(t *testing.T) {
	rp := filepath.Join(t.TempDir(), "repo")
	const key = "VNZi1kT+ifVTMJjbgEUZAD0tNtcPEjHbdgRfWNg5/9M="
	for _, args := range [][]string{
		{"init", "--repo=" + rp},
		{"remote", "add", "--repo=" + rp, "--sign-verify=ed25519=inline:" + key, "a", "http://a/"},
		{"remote", "add", "--repo=" + rp, "--sign-verify=ed25519=file:/etc/keys/k.pub", "--sign-verify=dummy=inline:x", "b", "http://b/"},
	} {
		if _, errs, code := clitest.RunOurs(t, nil, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	want := "[core]\nrepo_version=1\nmode=bare\n\n" +
		"[remote \"a\"]\nurl=http://a/\nverification-ed25519-key=" + key + "\nsign-verify=ed25519\n\n" +
		"[remote \"b\"]\nurl=http://b/\nverification-ed25519-file=/etc/keys/k.pub\nverification-dummy-key=x\nsign-verify=ed25519,dummy\n"
	got, _ := os.ReadFile(filepath.Join(rp, "config"))
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}
