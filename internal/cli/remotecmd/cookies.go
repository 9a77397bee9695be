package remotecmd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/remote"
)

// setupRemoteAddCookie is `ostree remote add-cookie NAME DOMAIN PATH
// COOKIE_NAME VALUE`: it appends to REPO/NAME.cookies.txt, which pulls
// from remote NAME send cookies from.
func setupRemoteAddCookie(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 5 {
			return clikit.Usage("NAME, DOMAIN, PATH, COOKIE_NAME and VALUE must be specified")
		}
		c := remote.NewCookie(args[1], args[2], args[3], args[4], time.Now())
		return clikit.RemoteError(remote.AddCookie(in.Ctx, r, args[0], c))
	}
}

// setupRemoteDeleteCookie is `ostree remote delete-cookie NAME DOMAIN
// PATH COOKIE_NAME`.
func setupRemoteDeleteCookie(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 4 {
			return clikit.Usage("NAME, DOMAIN, PATH and COOKIE_NAME must be specified")
		}
		err = remote.DeleteCookie(in.Ctx, r, args[0], args[1], args[2], args[3])
		if errors.Is(err, remote.ErrCookieNotFound) {
			return errors.New("Cookie not found in jar")
		}
		return clikit.RemoteError(err)
	}
}

// cookieJSON is one cookie of `remote list-cookies --json`.
type cookieJSON struct {
	Domain            string `json:"domain"`
	IncludeSubdomains bool   `json:"include_subdomains"`
	Path              string `json:"path"`
	Secure            bool   `json:"secure"`
	Expires           uint64 `json:"expires"`
	Name              string `json:"name"`
	Value             string `json:"value"`
}

// setupRemoteListCookies is `ostree remote list-cookies NAME`. Unlike
// libostree 2022.7, which looks for NAME.cookies.txt in the current
// directory, it reads the jar in the repository, where add-cookie writes
// it and pulls read it.
func setupRemoteListCookies(in *clikit.Invocation) func([]string) error {
	var asJSON bool
	in.OwnFlag("json", 0, "Print a JSON array of {domain, include_subdomains, path, secure, expires, name, value}", &asJSON)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("NAME must be specified")
		}
		cookies, err := remote.ReadCookies(in.Ctx, r, args[0])
		if err != nil {
			return clikit.RemoteError(err)
		}
		if asJSON {
			out := make([]cookieJSON, 0, len(cookies))
			for _, c := range cookies {
				out = append(out, cookieJSON{Domain: c.Domain, IncludeSubdomains: strings.EqualFold(c.Subdomains, "TRUE"),
					Path: c.Path, Secure: strings.EqualFold(c.Secure, "TRUE"), Expires: c.Expires, Name: c.Name, Value: c.Value})
			}
			return writeRemoteJSON(in, out)
		}
		var b strings.Builder
		for _, c := range cookies {
			fmt.Fprintf(&b, "--\nDomain: %s\nPath: %s\nName: %s\nSecure: %s\n", c.Domain, c.Path, c.Name, c.Secure)
			if exp, ok := cookieExpiry(c.Expires); ok {
				fmt.Fprintf(&b, "Expires: %s\n", exp)
			}
			fmt.Fprintf(&b, "Value: %s\n", c.Value)
		}
		_, err = in.Stdout.Write([]byte(b.String()))
		return err
	}
}

// cookieExpiry formats an expiry time as list-cookies prints it, with
// GDateTime's range (years 1 to 9999); the seconds are read as a signed
// 64-bit number, as libostree passes them on.
func cookieExpiry(exp uint64) (string, bool) {
	secs := int64(exp)
	const minSecs, maxSecs = -62135596800, 253402300799
	if secs < minSecs || secs > maxSecs {
		return "", false
	}
	t := time.Unix(secs, 0).UTC()
	return fmt.Sprintf("%d-%02d-%02d %02d:%02d:%02d +0000", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second()), true
}
