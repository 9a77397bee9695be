package remotecmd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/testutil"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and
// example.com and a client certificate, as PEM files.
type testPKI struct {
	dir                           string
	caFile, otherCAFile           string
	serverCert                    tls.Certificate
	clientCertFile, clientKeyFile string
	clientPool                    *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	write := func(name, typ string, der []byte) string {
		f := filepath.Join(p.dir, name)
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(1)
	issue := func(tmpl *x509.Certificate, parent *x509.Certificate, key *ecdsa.PrivateKey, signer *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, der
	}
	caKey := newKey()
	ca, caDER := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "gostree test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}, nil, caKey, caKey)
	p.caFile = write("ca.pem", "CERTIFICATE", caDER)
	otherKey := newKey()
	_, otherDER := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "other CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, otherKey, otherKey)
	p.otherCAFile = write("other-ca.pem", "CERTIFICATE", otherDER)

	srvKey := newKey()
	_, srvDER := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "example.com"}, DNSNames: []string{"example.com"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, srvKey, caKey)
	p.serverCert = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}

	cliKey := newKey()
	_, cliDER := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "client"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, cliKey, caKey)
	p.clientCertFile = write("client.pem", "CERTIFICATE", cliDER)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p.clientKeyFile = write("client.key", "PRIVATE KEY", keyDER)
	p.clientPool = x509.NewCertPool()
	p.clientPool.AddCert(ca)
	return p
}

// requestLog records what a test server saw.
type requestLog struct {
	mu         sync.Mutex
	userAgents map[string]bool
	absolute   int // proxy-form requests
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.userAgents == nil {
		l.userAgents = map[string]bool{}
	}
	l.userAgents[r.UserAgent()] = true
	if strings.HasPrefix(r.RequestURI, "http://") {
		l.absolute++
	}
}

// snapshot returns what the log holds so far.
func (l *requestLog) snapshot() (userAgents string, absolute int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.userAgents), l.absolute
}

var uaRelease = regexp.MustCompile(`libostree/[0-9.]+`)

// TestRemoteConnectionOptionsMatchReference pulls with both
// implementations through each connection option of a remote (basic auth
// in the URL, extra headers, TLS settings, proxies, contenturl,
// mirrorlists) and checks that both succeed or fail alike.
func TestRemoteConnectionOptionsMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	src := remoteSrcRepo(t, ref, true)
	pki := newTestPKI(t)
	repoHandler, err := server.New(src, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repoHandler.Close() })

	type serverKind int
	const (
		plainHTTP serverKind = iota
		tlsServer
		mtlsServer
	)
	start := func(kind serverKind, log *requestLog, check func(*http.Request) bool) *httptest.Server {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.add(r)
			if check != nil && !check(r) {
				http.Error(w, "refused", http.StatusForbidden)
				return
			}
			repoHandler.ServeHTTP(w, r)
		})
		srv := httptest.NewUnstartedServer(h)
		switch kind {
		case plainHTTP:
			srv.Start()
		default:
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.serverCert}}
			if kind == mtlsServer {
				srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, pki.clientPool
			}
			srv.StartTLS()
		}
		t.Cleanup(srv.Close)
		return srv
	}
	port := func(srv *httptest.Server) string { return srv.URL[strings.LastIndex(srv.URL, ":")+1:] }

	type testCase struct {
		name      string
		kind      serverKind
		check     func(*http.Request) bool
		url       func(srv *httptest.Server) string
		addArgs   func(srv *httptest.Server) []string
		pullArgs  []string
		ok        bool
		errSubstr string // in both error messages
		verify    func(t *testing.T, log *requestLog)
	}
	basicAuth := func(r *http.Request) bool { u, p, ok := r.BasicAuth(); return ok && u == "user" && p == "s3cret" }
	cases := []testCase{
		{name: "basic auth", check: basicAuth, ok: true,
			url: func(s *httptest.Server) string { return "http://user:s3cret@127.0.0.1:" + port(s) + "/" }},
		{name: "basic auth missing", check: basicAuth},
		{name: "http headers", ok: true, pullArgs: []string{"--http-header", "foo=bar", "--http-header=X-Empty="},
			check: func(r *http.Request) bool {
				_, empty := r.Header["X-Empty"]
				return r.Header.Get("Foo") == "bar" && !empty
			}},
		{name: "user agent header replaces the default", ok: true, pullArgs: []string{"--http-header=User-Agent=custom/1", "--append-user-agent=extra/2"},
			check: func(r *http.Request) bool { return r.UserAgent() == "custom/1" }},
		{name: "tls ca", kind: tlsServer, ok: true, addArgs: func(*httptest.Server) []string { return []string{"--set=tls-ca-path=" + pki.caFile} }},
		{name: "tls wrong ca", kind: tlsServer, addArgs: func(*httptest.Server) []string { return []string{"--set=tls-ca-path=" + pki.otherCAFile} }},
		{name: "tls untrusted", kind: tlsServer},
		{name: "tls permissive", kind: tlsServer, ok: true, addArgs: func(*httptest.Server) []string { return []string{"--set=tls-permissive=true"} }},
		{name: "tls permissive checks the host name", kind: tlsServer,
			url:     func(s *httptest.Server) string { return "https://localhost:" + port(s) + "/" },
			addArgs: func(*httptest.Server) []string { return []string{"--set=tls-permissive=true"} }},
		{name: "tls client certificate", kind: mtlsServer, ok: true, addArgs: func(*httptest.Server) []string {
			return []string{"--set=tls-ca-path=" + pki.caFile, "--set=tls-client-cert-path=" + pki.clientCertFile, "--set=tls-client-key-path=" + pki.clientKeyFile}
		}},
		{name: "tls client certificate missing", kind: mtlsServer, addArgs: func(*httptest.Server) []string {
			return []string{"--set=tls-ca-path=" + pki.caFile}
		}},
		{name: "tls client certificate without key", kind: mtlsServer,
			errSubstr: `Remote "origin" must specify both "tls-client-cert-path" and "tls-client-key-path"`,
			addArgs: func(*httptest.Server) []string {
				return []string{"--set=tls-ca-path=" + pki.caFile, "--set=tls-client-cert-path=" + pki.clientCertFile}
			}},
		{name: "proxy", ok: true,
			url:     func(*httptest.Server) string { return "http://repo.invalid/" },
			addArgs: func(s *httptest.Server) []string { return []string{"--set=proxy=" + s.URL} },
			verify: func(t *testing.T, log *requestLog) {
				if _, n := log.snapshot(); n == 0 {
					t.Error("no request went through the proxy")
				}
			}},
		{name: "proxy without scheme", ok: true,
			url:     func(*httptest.Server) string { return "http://repo.invalid/" },
			addArgs: func(s *httptest.Server) []string { return []string{"--set=proxy=127.0.0.1:" + port(s)} }},
		{name: "empty proxy", ok: true, addArgs: func(*httptest.Server) []string { return []string{"--set=proxy="} }},
		{name: "contenturl", ok: true,
			check: func(r *http.Request) bool { return !strings.HasSuffix(r.URL.Path, ".filez") },
			addArgs: func(*httptest.Server) []string {
				content := start(plainHTTP, &requestLog{}, nil)
				return []string{"--contenturl=" + content.URL + "/"}
			}},
		{name: "no contenturl", check: func(r *http.Request) bool { return !strings.HasSuffix(r.URL.Path, ".filez") }},
		{name: "mirrorlist", ok: true,
			url: func(s *httptest.Server) string {
				list := filepath.Join(t.TempDir(), "mirrors")
				os.WriteFile(list, []byte("# mirrors\nhttp://127.0.0.1:1/dead/\n"+s.URL+"/\n"), 0o644)
				lsrv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(list))))
				t.Cleanup(lsrv.Close)
				return "mirrorlist=" + lsrv.URL + "/mirrors"
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var refLog, ourLog requestLog
			refSrv := start(tc.kind, &refLog, tc.check)
			ourSrv := start(tc.kind, &ourLog, tc.check)
			// Only the pulls differ: our init and remote add make both
			// repositories, which the reference then uses as they are.
			d := t.TempDir()
			refRepo, ourRepo := filepath.Join(d, "ref"), filepath.Join(d, "ours")
			codes := map[string]int{}
			errs := map[string]string{}
			for _, side := range []struct {
				name, repo string
				srv        *httptest.Server
			}{{"reference", refRepo, refSrv}, {"ours", ourRepo, ourSrv}} {
				u := side.srv.URL + "/"
				if tc.url != nil {
					u = tc.url(side.srv)
				}
				args := []string{"remote", "add", "--repo=" + side.repo, "--no-gpg-verify"}
				if tc.addArgs != nil {
					args = append(args, tc.addArgs(side.srv)...)
				}
				for _, a := range [][]string{{"init", "--repo=" + side.repo, "--mode=archive"}, append(args, "origin", u)} {
					if _, e, code := clitest.RunOurs(t, nil, a...); code != 0 {
						t.Fatalf("%v: %s", a, e)
					}
				}
				pull := append(append([]string{"pull", "--repo=" + side.repo, "--disable-fsync", "--network-retries=0"}, tc.pullArgs...), "origin", "main")
				var e string
				if side.name == "reference" {
					_, e, codes[side.name] = clitest.RunRef(t, ref, pull...)
				} else {
					_, e, codes[side.name] = clitest.RunOurs(t, nil, pull...)
				}
				errs[side.name] = e
			}
			for side, code := range codes {
				if (code == 0) != tc.ok {
					t.Errorf("%s: exit %d, want success %v\n%s", side, code, tc.ok, errs[side])
				}
				if tc.errSubstr != "" && !strings.Contains(errs[side], tc.errSubstr) {
					t.Errorf("%s: error %q, want %q", side, errs[side], tc.errSubstr)
				}
			}
			if tc.ok {
				want, _ := os.ReadFile(filepath.Join(src, "refs", "heads", "main"))
				for _, r := range []string{refRepo, ourRepo} {
					if got, err := os.ReadFile(filepath.Join(r, "refs", "remotes", "origin", "main")); err != nil || string(got) != string(want) {
						t.Errorf("%s: origin:main = %q, %v; want %q", r, got, err, want)
					}
				}
			}
			if tc.verify != nil {
				tc.verify(t, &refLog)
				tc.verify(t, &ourLog)
			}
			if ra, _ := refLog.snapshot(); tc.ok {
				// The release in the User-Agent is ours (2025.2) against
				// the 2022.7 reference's; the rest must agree.
				oa, _ := ourLog.snapshot()
				if ra, oa = uaRelease.ReplaceAllString(ra, "libostree/RELEASE"), uaRelease.ReplaceAllString(oa, "libostree/RELEASE"); ra != oa {
					t.Errorf("user agents: reference %v, ours %v", ra, oa)
				}
			}
		})
	}
}
