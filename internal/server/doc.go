// Package server owns serving a repository directory over HTTP, read-only,
// the way a static web server does for OSTree clients: GET and HEAD of
// regular files, byte ranges (for resumed downloads), Last-Modified and
// ETag validators with If-Modified-Since, If-None-Match and If-Range, and
// 404 for anything missing. Paths never escape the directory: ".." and
// absolute components are refused and symlinks are followed only while
// they stay inside it (os.Root). With AutoUpdateSummary the summary file
// is regenerated when the refs changed since it was last written.
//
// Level L8: imports summary (L4) and repo (L3), and the standard library.
package server
