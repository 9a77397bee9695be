// Package health owns the post-boot health checks: running greenboot-style
// check directories under timeouts, reading greenboot.conf, and the per-boot
// records and failed-commit list kept under the stateroot's
// var/lib/gostree/health.
//
// Level L2: imports fsx and errdefs (L0) and the standard library.
package health
