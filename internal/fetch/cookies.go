package fetch

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
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

// parseCookies reads a Netscape cookie file; malformed lines are
// skipped, as curl skips them.
func parseCookies(data []byte) []cookie {
	var out []cookie
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if rest, ok := strings.CutPrefix(line, "#HttpOnly_"); ok {
			line = rest
		} else if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
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

// addCookies sets the Cookie header of req from the cookies that match.
func addCookies(req *http.Request, cookies []cookie) {
	now := time.Now()
	for i := range cookies {
		if c := &cookies[i]; c.matches(req.URL, now) {
			req.AddCookie(&http.Cookie{Name: c.name, Value: c.value})
		}
	}
}
