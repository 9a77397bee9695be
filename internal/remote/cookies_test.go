package remote

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/testutil"
)

func TestNewCookie(t *testing.T) {
	for _, tc := range []struct {
		domain string
		now    time.Time
		want   string
	}{
		{"127.0.0.1", time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), "127.0.0.1\tFALSE\t/\tFALSE\t2498205600\tn\tv"},
		// GLib clamps February 29 to the 28th in a common year.
		{".example.com", time.Date(2024, 2, 29, 12, 30, 15, 0, time.UTC), ".example.com\tTRUE\t/\tFALSE\t2498128215\tn\tv"},
		{"h", time.Date(2075, 2, 28, 23, 0, 0, 0, time.FixedZone("x", 3600)), "h\tFALSE\t/\tFALSE\t4107535200\tn\tv"},
	} {
		if got := NewCookie(tc.domain, "/", "n", "v", tc.now).String(); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.domain, tc.now, got, tc.want)
		}
	}
}

func TestParseJar(t *testing.T) {
	jar := "# Netscape HTTP Cookie File\n" +
		"#HttpOnly_x\tFALSE\t/\tFALSE\t0\tn\tv\n" +
		"example.com  TRUE /a FALSE 18446744073709551616 nm va lue\r\n" +
		"bad\tline\n" +
		".d\tTRUE\t/\tTRUE\t-1\tn2\tv2\n" +
		"e\tFALSE\t/\tFALSE\t+12x\tname\n" +
		"f\tFALSE\t/\tFALSE\tx\tn\tv\n"
	want := []Cookie{
		{Domain: "#HttpOnly_x", Subdomains: "FALSE", Path: "/", Secure: "FALSE", Expires: 0, Name: "n", Value: "v"},
		{Domain: "example.com", Subdomains: "TRUE", Path: "/a", Secure: "FALSE", Expires: 1<<64 - 1, Name: "nm", Value: "va"},
		{Domain: ".d", Subdomains: "TRUE", Path: "/", Secure: "TRUE", Expires: 1<<64 - 1, Name: "n2", Value: "v2"},
		// %llu stops at the first non-digit, and %ms takes the rest.
		{Domain: "e", Subdomains: "FALSE", Path: "/", Secure: "FALSE", Expires: 12, Name: "x", Value: "name"},
	}
	if diff := cmp.Diff(want, parseJar([]byte(jar)), cmpopts.IgnoreUnexported(Cookie{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCookieJar(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	now := time.Now()
	jar := CookieJarPath(r, "origin")
	list := func() []string {
		t.Helper()
		cs, err := ReadCookies(ctx, r, "origin")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Domain+" "+c.Path+" "+c.Name+"="+c.Value)
		}
		return out
	}
	if got := list(); got != nil {
		t.Errorf("no jar: %v", got)
	}
	for _, c := range [][4]string{{"127.0.0.1", "/", "foo", "bar"}, {".example.com", "/p", "baz", "badger"}, {"127.0.0.1", "/", "x", "y"}} {
		if err := AddCookie(ctx, r, "origin", NewCookie(c[0], c[1], c[2], c[3], now)); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Stat(jar); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("new jar: %v, %v", st, err)
	}
	want := []string{"127.0.0.1 / foo=bar", ".example.com /p baz=badger", "127.0.0.1 / x=y"}
	if diff := cmp.Diff(want, list()); diff != "" {
		t.Errorf("after adding (-want +got):\n%s", diff)
	}
	if err := DeleteCookie(ctx, r, "origin", ".example.com", "/p", "baz"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteCookie(ctx, r, "origin", ".example.com", "/p", "baz"); !errors.Is(err, ErrCookieNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if diff := cmp.Diff([]string{"127.0.0.1 / foo=bar", "127.0.0.1 / x=y"}, list()); diff != "" {
		t.Errorf("after deleting (-want +got):\n%s", diff)
	}
	if st, err := os.Stat(jar); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("rewritten jar: %v, %v", st, err)
	}
	// Deleting from a missing jar leaves an empty one, as libostree does.
	if err := DeleteCookie(ctx, r, "other", "h", "/", "n"); !errors.Is(err, ErrCookieNotFound) {
		t.Errorf("delete from no jar: %v", err)
	}
	if b, err := os.ReadFile(CookieJarPath(r, "other")); err != nil || len(b) != 0 {
		t.Errorf("empty jar: %q, %v", b, err)
	}
	for _, name := range []string{"../x", "a/b", ""} {
		if err := AddCookie(ctx, r, name, NewCookie("h", "/", "n", "v", now)); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("AddCookie(%q): %v", name, err)
		}
	}
	if err := os.WriteFile(jar, []byte("h\tFALSE\t/\tFALSE\t0\tn\t\xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCookies(ctx, r, "origin"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

// TestCookieJarInterop has each implementation read the jar the other
// wrote.
func TestCookieJarInterop(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	r := newRepo(t)
	run(t, ref, "remote", "add-cookie", "--repo="+r.Path(), "origin", "127.0.0.1", "/", "foo", "bar")
	run(t, ref, "remote", "add-cookie", "--repo="+r.Path(), "origin", ".example.com", "/p", "baz", "badger")
	if err := AddCookie(ctx, r, "origin", NewCookie("h", "/q", "n", "v", time.Now())); err != nil {
		t.Fatal(err)
	}
	cs, err := ReadCookies(ctx, r, "origin")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.String())
	}
	data, _ := os.ReadFile(CookieJarPath(r, "origin"))
	if diff := cmp.Diff(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"), got); diff != "" {
		t.Errorf("jar lines (-file +parsed):\n%s", diff)
	}
	// libostree 2022.7 reads list-cookies' jar from the current directory.
	cmd := exec.Command(ref, "remote", "list-cookies", "--repo="+r.Path(), "origin")
	cmd.Dir = r.Path()
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "--\n"); n != 3 || !strings.Contains(string(out), "Domain: h\nPath: /q\nName: n\nSecure: FALSE\nExpires: ") {
		t.Errorf("reference lists our cookie wrongly:\n%s", out)
	}
	// The reference deletes from our jar and we from its rewrite.
	run(t, ref, "remote", "delete-cookie", "--repo="+r.Path(), "origin", "h", "/q", "n")
	if err := DeleteCookie(ctx, r, "origin", "127.0.0.1", "/", "foo"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(CookieJarPath(r, "origin"))
	if !strings.HasPrefix(string(data), ".example.com\tTRUE\t/p\tFALSE\t") || strings.Count(string(data), "\n") != 1 {
		t.Errorf("jar after deletes: %q", data)
	}
}

func FuzzParseJar(f *testing.F) {
	f.Add([]byte("127.0.0.1\tFALSE\t/\tFALSE\t2584564331\tfoo\tbar\n"))
	f.Add([]byte("# Netscape HTTP Cookie File\n#HttpOnly_x FALSE / FALSE -1 n v\r\n e\tF\t/\tF\t+12x\tn\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range parseJar(data) {
			// A cookie read from a line reads back from its own String.
			again := parseJar([]byte(c.String()))
			if len(again) != 1 || !cmp.Equal(c, again[0], cmpopts.IgnoreUnexported(Cookie{})) {
				t.Fatalf("%q: %+v, then %+v", data, c, again)
			}
		}
	})
}
