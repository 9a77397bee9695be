// Package membudget decides how much memory gostree lets itself use for
// work it can do either in parallel or one piece at a time, such as
// decoding static-delta parts, and sets the Go runtime's soft memory
// limit to match.
//
// The budget is the repository's core.memory-budget when set (a size
// such as "48MB" or "1GB"); otherwise a quarter of the memory limit of
// the process's cgroup (cgroup v2 memory.max, else v1
// memory.limit_in_bytes), and Default without a limit, a figure that
// suits a small device.
package membudget
