package testutil

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NginxBinary is where Debian's nginx package installs the server.
const NginxBinary = "/usr/sbin/nginx"

// NginxConfig describes a static file server: nginx serving Root on
// 127.0.0.1:Port with every path it writes (pid, logs, temp files) under
// Prefix, so that it runs as an unprivileged user without touching /var.
type NginxConfig struct {
	Prefix string
	Root   string
	Port   int
	// Location holds extra directives for the "location /" block, e.g.
	// rate limits.
	Location string
}

// nginxLogFormat is one access-log line per request, tab-separated:
// status, body bytes sent, the Range header ("-" when absent) and the
// request URI.
const nginxLogFormat = `$status\t$body_bytes_sent\t$http_range\t$request_uri`

// String renders the configuration: a single foreground process (no
// master, so no user switch and no orphaned workers), sendfile on,
// directory listings off, every file served as application/octet-stream.
func (c NginxConfig) String() string {
	p := func(name string) string { return filepath.Join(c.Prefix, name) }
	var b strings.Builder
	fmt.Fprintf(&b, "daemon off;\nmaster_process off;\nworker_processes 1;\n")
	fmt.Fprintf(&b, "pid %s;\nerror_log %s warn;\n", p("nginx.pid"), p("error.log"))
	fmt.Fprintf(&b, "events {\n\tworker_connections 1024;\n}\n")
	fmt.Fprintf(&b, "http {\n")
	fmt.Fprintf(&b, "\tlog_format gostree \"%s\";\n\taccess_log %s gostree;\n", nginxLogFormat, p("access.log"))
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&b, "\t%s_temp_path %s;\n", t, p(t+"_temp"))
	}
	fmt.Fprintf(&b, "\tdefault_type application/octet-stream;\n\ttypes {}\n")
	fmt.Fprintf(&b, "\tsendfile on;\n\ttcp_nopush on;\n\tkeepalive_requests 100000;\n")
	fmt.Fprintf(&b, "\tserver {\n\t\tlisten 127.0.0.1:%d;\n\t\troot %s;\n\t\tautoindex off;\n", c.Port, c.Root)
	fmt.Fprintf(&b, "\t\tlocation / {\n%s\t\t}\n\t}\n}\n", indent(c.Location, "\t\t\t"))
	return b.String()
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

// Nginx is a running nginx, stopped when its test ends.
type Nginx struct {
	// URL is the server's base URL, with a trailing slash.
	URL    string
	Config NginxConfig
	syncs  int
}

// NginxRequest is one line of the access log.
type NginxRequest struct {
	Status int
	Bytes  int64  // body bytes sent
	Range  string // the request's Range header, "" when absent
	Path   string
}

// StartNginx serves root with nginx on a free loopback port until the
// test ends; location adds directives to the "location /" block. Without
// nginx the test is skipped, or fails where skipping is disallowed.
func StartNginx(t testing.TB, root, location string) *Nginx {
	t.Helper()
	bin := NginxBinary
	if _, err := os.Stat(bin); err != nil {
		bin = RequiresTool(t, "nginx")
	}
	prefix := t.TempDir()
	var lastErr string
	// A free port may be taken between probing and nginx's bind: retry.
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		n := &Nginx{URL: fmt.Sprintf("http://127.0.0.1:%d/", port), Config: NginxConfig{Prefix: prefix, Root: root, Port: port, Location: location}}
		ok, why := n.start(t, bin)
		if ok {
			return n
		}
		lastErr = why
	}
	t.Fatalf("nginx did not start: %s", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs nginx and waits until it accepts connections; it reports
// why it failed otherwise.
func (n *Nginx) start(t testing.TB, bin string) (bool, string) {
	t.Helper()
	c := n.Config
	conf := filepath.Join(c.Prefix, "nginx.conf")
	if err := os.WriteFile(conf, []byte(c.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(c.Prefix, "error.log"))
	os.Remove(filepath.Join(c.Prefix, "access.log"))
	cmd := exec.Command(bin, "-p", c.Prefix+"/", "-c", conf, "-e", filepath.Join(c.Prefix, "error.log"))
	// Should the test binary die, nginx goes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", c.Port)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(c.Prefix, "error.log"))
			return false, fmt.Sprintf("%v: %s", err, log)
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
					<-exited
				}
			})
			return true, ""
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return false, "no connection within 10s"
}

// syncPrefix marks the requests Requests makes to find the end of the
// access log.
const syncPrefix = "/.testutil-log-sync-"

// Requests parses the access log: one entry per request completed
// before the call, in order. nginx logs a request after it has sent the
// response, so Requests first makes a request of its own and waits for
// its line: the single nginx process has logged everything before it.
func (n *Nginx) Requests(t testing.TB) []NginxRequest {
	t.Helper()
	n.syncs++
	marker := fmt.Sprintf("%s%d", syncPrefix, n.syncs)
	resp, err := http.Get(strings.TrimSuffix(n.URL, "/") + marker)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		reqs, done := n.readLog(t, marker)
		if done {
			return reqs
		}
	}
	t.Fatalf("nginx did not log %s", marker)
	return nil
}

// readLog returns the requests logged before the marker, and whether the
// marker was found.
func (n *Nginx) readLog(t testing.TB, marker string) ([]NginxRequest, bool) {
	t.Helper()
	f, err := os.Open(filepath.Join(n.Config.Prefix, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []NginxRequest
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), "\t", 4)
		if len(fields) != 4 {
			t.Fatalf("access log line %q", sc.Text())
		}
		if fields[3] == marker {
			return out, true
		}
		if strings.HasPrefix(fields[3], syncPrefix) {
			continue
		}
		status, _ := strconv.Atoi(fields[0])
		size, _ := strconv.ParseInt(fields[1], 10, 64)
		r := NginxRequest{Status: status, Bytes: size, Range: fields[2], Path: fields[3]}
		if r.Range == "-" {
			r.Range = ""
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out, false
}

// ClearLog empties the access log, so that Requests reports only what
// comes next.
func (n *Nginx) ClearLog(t testing.TB) {
	t.Helper()
	n.Requests(t) // wait for pending lines
	if err := os.Truncate(filepath.Join(n.Config.Prefix, "access.log"), 0); err != nil {
		t.Fatal(err)
	}
}
