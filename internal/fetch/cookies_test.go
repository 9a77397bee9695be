package fetch

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCookies(t *testing.T) {
	for _, tc := range []struct {
		name, jar string
		want      []cookie
	}{
		{"add-cookie line", "127.0.0.1\tFALSE\t/\tFALSE\t2584564331\tfoo\tbar\n",
			[]cookie{{domain: "127.0.0.1", path: "/", expires: 2584564331, name: "foo", value: "bar"}}},
		{"value with blanks, CRLF", ".Example.COM\tTRUE\t/p\tTRUE\t0\tn\ta b \r\n",
			[]cookie{{domain: ".example.com", subdomains: true, path: "/p", secure: true, name: "n", value: "a b "}}},
		{"runs of tabs", "h\t\tFALSE\t/\t\tFALSE\t0\tn\tv\n",
			[]cookie{{domain: "h", path: "/", name: "n", value: "v"}}},
		{"missing value", "h\tFALSE\t/\tFALSE\t0\tn\n",
			[]cookie{{domain: "h", path: "/", name: "n"}}},
		{"http-only", "#HttpOnly_h\tFALSE\t/\tFALSE\t0\tn\tv",
			[]cookie{{domain: "h", path: "/", name: "n", value: "v"}}},
		{"comments and junk", "# Netscape HTTP Cookie File\n\nh FALSE / FALSE 0 n v\nh\tFALSE\t/\tFALSE\tsoon\tn\tv\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseCookies([]byte(tc.jar)), cmp.AllowUnexported(cookie{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCookieHeader(t *testing.T) {
	cookies := parseCookies([]byte("" +
		"h\tFALSE\t/\tFALSE\t0\ta\tv a\n" +
		"h\tFALSE\t/dir\tFALSE\t0\tb\t\"q\"\n" +
		".h\tTRUE\t/\tFALSE\t0\tlonger\tx\n" +
		"sub.h\tFALSE\t/\tFALSE\t0\tsub\ty\n" +
		"h\tFALSE\t/\tFALSE\t1\told\tz\n"))
	for _, tc := range []struct{ url, want string }{
		{"http://h/dir/summary", `b="q"; longer=x; a=v a`},
		{"http://sub.h/x", "sub=y; longer=x"},
		{"http://h/dirt", "longer=x; a=v a"},
		{"http://other/", ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		addCookies(req, cookies)
		if got := req.Header.Get("Cookie"); got != tc.want {
			t.Errorf("%s: Cookie %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestLoadCookies(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "missing"), dir} {
		if c, err := loadCookies(p); err != nil || c != nil {
			t.Errorf("%s: %v, %v", p, c, err)
		}
	}
	jar := filepath.Join(dir, "r.cookies.txt")
	if err := os.WriteFile(jar, []byte("h\tFALSE\t/\tFALSE\t0\tn\tv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := loadCookies(jar); err != nil || len(c) != 1 {
		t.Errorf("jar: %v, %v", c, err)
	}
}

func TestCustomHeadersAndProxy(t *testing.T) {
	h, ua := customHeaders(http.Header{"User-Agent": {"mine/1"}, "X-Blank": {" "}, "foo": {"bar"}}, DefaultUserAgent)
	if want := (http.Header{"Foo": {"bar"}}); ua != "mine/1" || !cmp.Equal(h, want) {
		t.Errorf("customHeaders = %v, %q", h, ua)
	}
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:3128", "http://127.0.0.1:3128"},
		{"proxy.example.com", "http://proxy.example.com:1080"},
		{"https://u:p@proxy", "https://u:p@proxy:443"},
		{"socks5h://[::1]", "socks5h://[::1]:1080"},
		{"ftp://proxy", ""},
		{"http://", ""},
	} {
		u, err := proxyURL(tc.in)
		got := ""
		if err == nil {
			got = u.String()
		}
		if got != tc.want {
			t.Errorf("proxyURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseCookies(f *testing.F) {
	f.Add([]byte("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t2584564331\tfoo\tbar\n"))
	f.Add([]byte("#HttpOnly_.h\tTRUE\t/p\tTRUE\t0\tn\ta b\r\nh\t\tFALSE\t/\tFALSE\t-1\tn\n"))
	u, _ := url.Parse("https://sub.h/p/x")
	f.Fuzz(func(t *testing.T, data []byte) {
		cookies := parseCookies(data)
		req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
		addCookies(req, cookies)
		for i := range cookies {
			cookies[i].matches(u, time.Unix(0, 0))
		}
	})
}
