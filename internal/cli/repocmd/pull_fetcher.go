package repocmd

import (
	"time"

	"github.com/gostree/gostree/internal/pull"
)

// applyFetcherKnobs maps libostree 2025's libcurl tuning options of
// `ostree pull` onto our HTTP client; negative values mean not given.
//
//   - --disable-retry-on-network-errors: libcurl then reports transport
//     errors and HTTP 5xx as permanent; our client has one retry switch,
//     so no request is retried (as --network-retries=0).
//   - --low-speed-time-seconds=N: libcurl aborts a transfer that stays
//     below the speed floor for N seconds; ours fails (and retries) a
//     request that receives nothing for N seconds, the stall timeout.
//   - --low-speed-limit-bytes=N: the speed floor. Our client has no
//     rate floor, only the stall timeout above, so the value is accepted
//     and has no effect: a trickle above zero keeps a transfer going.
//   - --max-outstanding-fetcher-requests=N: requests in flight, as
//     libcurl's connection limit (libostree's default is 8, ours 64).
func applyFetcherKnobs(opts *pull.RemoteOptions, noRetry bool, lowSpeedLimit, lowSpeedTime, maxRequests int) {
	if noRetry {
		opts.NetworkRetries = 0
	}
	if lowSpeedTime > 0 {
		opts.Fetch.StallTimeout = time.Duration(lowSpeedTime) * time.Second
	}
	if maxRequests > 0 {
		opts.Fetch.Concurrency = maxRequests
	}
	_ = lowSpeedLimit
}
