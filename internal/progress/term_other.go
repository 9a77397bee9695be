//go:build !linux

package progress

// IsTerminal reports false: the bar is drawn on Linux terminals only.
func IsTerminal(fd uintptr) bool { return false }

// TerminalWidth returns 80.
func TerminalWidth(fd uintptr) int { return defaultWidth }
