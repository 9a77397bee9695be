// Package fetch owns downloading files from the HTTP(S) servers that
// publish OSTree repositories: one keep-alive http.Client (HTTP/2 when the
// server offers it over TLS), a bounded pool of parallel requests in which
// metadata goes before content, retries with exponential backoff for
// transient failures (timeouts, dropped connections, truncated bodies,
// HTTP 408/429/5xx), fallback through a list of mirrors, size limits,
// stall detection, conditional requests (If-None-Match/If-Modified-Since)
// and resumption of interrupted downloads with Range requests, in memory
// within a process and through partial files in the repository's tmp/
// directory across processes. Fetch buffers a body (in memory, or in a
// file when large); Stream hands it to its consumer as it arrives,
// resuming a broken transfer underneath, so that many requests in flight
// cost no memory.
//
// It knows nothing about objects: callers verify what they download (the
// repository's transactions check every object against its checksum
// before it becomes visible).
//
// Level L3: imports errdefs and log (L0) and the standard library.
package fetch
