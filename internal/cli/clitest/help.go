package clitest

import "regexp"

// extensionOption matches the help lines of our options that the
// reference lacks; they never widen the option column.
var extensionOption = regexp.MustCompile(`(?m)^  --(json|progress-json-fd=FD) +[^\n]*\n`)

// newerOption matches the help lines of libostree 2025.2's options that
// 2022.7 lacks (show's key listing, pull-local's delta switch); none
// widens its option column.
var newerOption = regexp.MustCompile(`(?m)^  --(list-metadata-keys|print-hex|list-detached-metadata-keys|disable-static-deltas) +[^\n]*\n`)

// DropExtensionOptions removes our own options, and those new in 2025.2
// (our help is 2025.2's), from help text, for comparisons with the
// 2022.7 reference. It is applied to both sides.
func DropExtensionOptions(help string) string {
	return newerOption.ReplaceAllString(extensionOption.ReplaceAllString(help, ""), "")
}
