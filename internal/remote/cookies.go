package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/repo"
)

// ErrCookieNotFound: DeleteCookie found no cookie to delete.
var ErrCookieNotFound = fmt.Errorf("remote: cookie not found in jar: %w", errdefs.ErrNotFound)

// cookieLifetime is how long `ostree remote add-cookie` makes a cookie
// last, in calendar years.
const cookieLifetime = 25

// Cookie is one line of a remote's cookie jar, REPO/NAME.cookies.txt, in
// the Netscape (curl) format. Fields hold the text of the file: the jar
// is read the way `ostree remote list-cookies` reads it, as seven
// whitespace-separated fields, so a value never holds blanks here even
// when curl (and the fetcher) would read a longer one.
type Cookie struct {
	Domain string
	// Subdomains is the include-subdomains flag, "TRUE" or "FALSE".
	Subdomains string
	Path       string
	// Secure is "TRUE" or "FALSE".
	Secure string
	// Expires is in seconds since the epoch.
	Expires uint64
	Name    string
	Value   string

	line string // the jar line as read, rewritten as is by DeleteCookie
}

// NewCookie is the cookie `ostree remote add-cookie` writes: a
// subdomain cookie when domain starts with ".", never secure, expiring
// 25 years after now.
func NewCookie(domain, path, name, value string, now time.Time) Cookie {
	sub := "FALSE"
	if strings.HasPrefix(domain, ".") {
		sub = "TRUE"
	}
	return Cookie{Domain: domain, Subdomains: sub, Path: path, Secure: "FALSE",
		Expires: uint64(addYears(now.UTC(), cookieLifetime).Unix()), Name: name, Value: value}
}

// addYears adds calendar years as g_date_time_add_years does: February
// 29 becomes February 28 in a common year.
func addYears(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	y += n
	if m == time.February && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		d = 28
	}
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// String is the cookie's jar line, without the newline.
func (c Cookie) String() string {
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%s\t%s", c.Domain, c.Subdomains, c.Path, c.Secure, c.Expires, c.Name, c.Value)
}

// CookieJarPath is where the cookies of remote name are kept: the file
// the fetcher sends cookies from.
func CookieJarPath(r *repo.Repo, name string) string {
	return filepath.Join(r.Path(), name+".cookies.txt")
}

// jarPath validates the remote name, which becomes part of a file name.
func jarPath(r *repo.Repo, name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	return CookieJarPath(r, name), nil
}

// ReadCookies lists the cookies of remote name's jar in file order; a
// missing jar has none. The remote need not be configured.
func ReadCookies(ctx context.Context, r *repo.Repo, name string) ([]Cookie, error) {
	p, err := jarPath(r, name)
	if err != nil {
		return nil, err
	}
	data, err := readJar(p)
	if err != nil {
		return nil, err
	}
	return parseJar(data), nil
}

func readJar(p string) ([]byte, error) {
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cookie jar: %w", err)
	}
	// libostree reads the jar as a C string of valid UTF-8.
	if !utf8.Valid(data) || strings.IndexByte(string(data), 0) >= 0 {
		return nil, fmt.Errorf("read cookie jar %s: invalid UTF-8: %w", filepath.Base(p), errdefs.ErrInvalid)
	}
	return data, nil
}

// AddCookie appends c to remote name's jar, creating it (mode 0644) when
// needed. The remote need not be configured.
func AddCookie(ctx context.Context, r *repo.Repo, name string, c Cookie) error {
	p, err := jarPath(r, name)
	if err != nil {
		return err
	}
	old, err := readJarBytes(p)
	if err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if st, err := os.Stat(p); err == nil {
		perm = st.Mode().Perm()
	}
	data := make([]byte, 0, len(old)+len(c.String())+1)
	data = append(append(append(data, old...), c.String()...), '\n')
	if err := fsx.WriteFileAtomic(p, data, perm, r.FsyncEnabled()); err != nil {
		return fmt.Errorf("add cookie: %w", err)
	}
	return nil
}

// readJarBytes reads a jar as it is, for appending.
func readJarBytes(p string) ([]byte, error) {
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cookie jar: %w", err)
	}
	return data, nil
}

// DeleteCookie removes the cookies of remote name's jar that match
// domain, path and cookie name exactly. As libostree does, it rewrites
// the jar (mode 0600) with only the lines it could read, creating an
// empty jar when there was none, and then reports ErrCookieNotFound when
// nothing matched.
func DeleteCookie(ctx context.Context, r *repo.Repo, name, domain, path, cookieName string) error {
	p, err := jarPath(r, name)
	if err != nil {
		return err
	}
	data, err := readJar(p)
	if err != nil {
		return err
	}
	var out strings.Builder
	found := false
	for _, c := range parseJar(data) {
		if c.Domain == domain && c.Path == path && c.Name == cookieName {
			found = true
			continue
		}
		out.WriteString(c.line)
		out.WriteByte('\n')
	}
	if err := fsx.WriteFileAtomic(p, []byte(out.String()), 0o600, r.FsyncEnabled()); err != nil {
		return fmt.Errorf("delete cookie: %w", err)
	}
	if !found {
		return ErrCookieNotFound
	}
	return nil
}

// parseJar reads every line that holds seven fields, the way libostree
// scans them: sscanf("%ms\t%ms\t%ms\t%ms\t%llu\t%ms\t%ms"), where tabs
// match any run of blanks. Other lines (comments included) are skipped.
func parseJar(data []byte) []Cookie {
	var out []Cookie
	for _, line := range strings.Split(string(data), "\n") {
		if c, ok := scanCookie(line); ok {
			out = append(out, c)
		}
	}
	return out
}

func scanCookie(line string) (Cookie, bool) {
	s := cookieScanner{s: line}
	c := Cookie{line: line}
	for _, dst := range []*string{&c.Domain, &c.Subdomains, &c.Path, &c.Secure} {
		if *dst = s.word(); *dst == "" {
			return Cookie{}, false
		}
	}
	exp, ok := s.unsigned()
	if !ok {
		return Cookie{}, false
	}
	c.Expires = exp
	for _, dst := range []*string{&c.Name, &c.Value} {
		if *dst = s.word(); *dst == "" {
			return Cookie{}, false
		}
	}
	return c, true
}

// cookieScanner implements the scanf conversions the jar format needs.
type cookieScanner struct {
	s string
	i int
}

// isSpace is C's isspace in the C locale.
func isSpace(b byte) bool { return b == ' ' || (b >= '\t' && b <= '\r') }

func (sc *cookieScanner) skipSpace() {
	for sc.i < len(sc.s) && isSpace(sc.s[sc.i]) {
		sc.i++
	}
}

// word is %ms: blanks skipped, then the longest non-blank run ("" at
// the end of the line).
func (sc *cookieScanner) word() string {
	sc.skipSpace()
	start := sc.i
	for sc.i < len(sc.s) && !isSpace(sc.s[sc.i]) {
		sc.i++
	}
	return sc.s[start:sc.i]
}

// unsigned is %llu: blanks, an optional sign, then decimal digits;
// an overflowing value saturates and a negative one wraps, as strtoull
// does.
func (sc *cookieScanner) unsigned() (uint64, bool) {
	sc.skipSpace()
	neg := false
	if sc.i < len(sc.s) && (sc.s[sc.i] == '+' || sc.s[sc.i] == '-') {
		neg = sc.s[sc.i] == '-'
		sc.i++
	}
	start := sc.i
	var v uint64
	overflow := false
	for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
		d := uint64(sc.s[sc.i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		}
		v = v*10 + d
		sc.i++
	}
	if sc.i == start {
		return 0, false
	}
	if overflow {
		return math.MaxUint64, true
	}
	if neg {
		v = -v
	}
	return v, true
}
