// Package interop2025 holds the tests that run gostree beside libostree
// 2025.2 (Debian 13's ostree, in the root that the conformance tooling's
// setup-suite-2025 builds): every command's help, and files that one
// writes and the other reads for what 2025.2 added. They need root.
package interop2025
