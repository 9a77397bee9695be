package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cookie is one line of a Netscape (curl) cookie file, as
// `ostree remote add-cookie` writes REPO/REMOTE.cookies.txt.
type cookie struct {
	domain     string
	subdomains bool
	path       string
	secure     bool
	expires    int64 // seconds since the epoch; 0 for a session cookie
	name       string
	value      string
}

// loadCookies reads the cookie file at path. Like libostree, which hands
// curl the jar only when it is a regular file, anything else (a missing
// file included) means no cookies.
func loadCookies(path string) ([]cookie, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cookie file: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cookie file: %w", err)
	}
	return parseCookies(data), nil
}

// parseCookies reads a Netscape cookie file as curl does: "#HttpOnly_"
// marks an HTTP-only cookie, other lines starting with "#" are comments,
// fields are separated by runs of tabs, a missing value is empty, and
// malformed lines are skipped.
func parseCookies(data []byte) []cookie {
	var out []cookie
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r\n")
		if rest, ok := strings.CutPrefix(line, "#HttpOnly_"); ok {
			line = rest
		} else if line == "" || line[0] == '#' {
			continue
		}
		var f []string
		for _, s := range strings.Split(line, "\t") {
			if s != "" { // strtok: runs of tabs are one separator
				f = append(f, s)
			}
		}
		if len(f) == 6 {
			f = append(f, "")
		}
		if len(f) != 7 {
			continue
		}
		exp, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, cookie{
			domain:     strings.ToLower(f[0]),
			subdomains: strings.EqualFold(f[1], "TRUE"),
			path:       f[2],
			secure:     strings.EqualFold(f[3], "TRUE"),
			expires:    exp,
			name:       f[5],
			value:      f[6],
		})
	}
	return out
}

// matches reports whether c goes with a request to u at time now.
func (c *cookie) matches(u *url.URL, now time.Time) bool {
	if c.expires != 0 && c.expires < now.Unix() {
		return false
	}
	if c.secure && u.Scheme != "https" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	d := strings.TrimPrefix(c.domain, ".")
	if host != d && !((c.subdomains || strings.HasPrefix(c.domain, ".")) && strings.HasSuffix(host, "."+d)) {
		return false
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	return p == c.path || strings.HasPrefix(p, strings.TrimSuffix(c.path, "/")+"/")
}

// addCookies sets the Cookie header of req from the cookies that match,
// as curl sends them: name=value pairs verbatim, in curl's order.
func addCookies(req *http.Request, cookies []cookie) {
	now := time.Now()
	var match []*cookie
	for i := range cookies {
		if c := &cookies[i]; c.matches(req.URL, now) {
			match = append(match, c)
		}
	}
	if len(match) == 0 {
		return
	}
	// curl's cookie_sort: longer path, then longer domain, then longer
	// name first; file order last.
	sort.SliceStable(match, func(i, j int) bool {
		a, b := match[i], match[j]
		if len(a.path) != len(b.path) {
			return len(a.path) > len(b.path)
		}
		// curl keeps domains without their leading dot.
		if da, db := len(strings.TrimPrefix(a.domain, ".")), len(strings.TrimPrefix(b.domain, ".")); da != db {
			return da > db
		}
		return len(a.name) > len(b.name)
	})
	var b strings.Builder
	for i, c := range match {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.name)
		b.WriteByte('=')
		b.WriteString(c.value)
	}
	req.Header.Set("Cookie", b.String())
}
