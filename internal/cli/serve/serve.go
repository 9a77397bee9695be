package serve

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/server"
)

// Setup is `gostree serve`, which the reference does not have: it
// serves the repository read-only over HTTP until interrupted.
func Setup(in *clikit.Invocation) func([]string) error {
	addr := "127.0.0.1:0"
	var portFile string
	var autoUpdate bool
	in.String("addr", 0, "ADDRESS", "Listen on ADDRESS (default: 127.0.0.1 with a free port)", &addr)
	in.String("port-file", 'p', "PATH", "Write the port number to PATH", &portFile)
	in.Flag("autoupdate-summary", 0, "Regenerate the summary when refs changed", &autoUpdate)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) > 0 {
			return clikit.Usage("Too many arguments")
		}
		if host, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("Invalid address %s: %v", addr, err)
		} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintf(in.Stderr, "warning: serving %s beyond this machine on %s\n", r.Path(), addr)
		}
		var mu sync.Mutex
		opts := server.Options{Repo: r, AutoUpdateSummary: autoUpdate}
		if in.Verbose {
			opts.OnRequest = func(req *http.Request, status int, n int64) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(in.Stderr, "%s %s %s %d %d\n", time.Now().Format(time.RFC3339), req.Method, req.URL.Path, status, n)
			}
		}
		h, err := server.New(r.Path(), opts)
		if err != nil {
			return err
		}
		defer h.Close()
		var readyErr error
		err = server.ListenAndServe(in.Ctx, addr, h, 5*time.Second, func(bound string) {
			_, port, _ := net.SplitHostPort(bound)
			if portFile != "" {
				readyErr = os.WriteFile(portFile, []byte(port+"\n"), 0o644)
			}
			host := bound
			if strings.HasPrefix(bound, "[::]") || strings.HasPrefix(bound, "0.0.0.0") {
				host = "127.0.0.1:" + port
			}
			fmt.Fprintf(in.Stdout, "Serving %s at http://%s/\n", r.Path(), host)
		})
		if readyErr != nil {
			return readyErr
		}
		return err
	}
}
