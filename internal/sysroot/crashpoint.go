package sysroot

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// crashEnv names the crash point at which the process kills itself with
// SIGKILL, for the atomicity tests: "NAME" (the first time NAME is
// reached) or "NAME:N" (the Nth time). Unset, crashpoint costs a nil
// check.
const crashEnv = "GOSTREE_TEST_CRASHPOINT"

var crashAt = parseCrashpoint(os.Getenv(crashEnv))

type crashSpec struct {
	name string
	nth  int64
	hits atomic.Int64
}

func parseCrashpoint(v string) *crashSpec {
	if v == "" {
		return nil
	}
	name, n, ok := strings.Cut(v, ":")
	nth, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || nth < 1 {
		nth = 1
	}
	return &crashSpec{name: name, nth: nth}
}

// crashpoint simulates a power cut at a named step: the process dies at
// once, without deferred calls, as it would from SIGKILL.
func crashpoint(name string) {
	c := crashAt
	if c == nil || c.name != name || c.hits.Add(1) != c.nth {
		return
	}
	_ = unix.Kill(unix.Getpid(), unix.SIGKILL)
	for { // SIGKILL is delivered before kill(2) returns; never go on
		time.Sleep(time.Hour)
	}
}
