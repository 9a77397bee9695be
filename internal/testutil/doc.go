// Package testutil holds helpers shared by tests: gates for tests that need
// root or an external oracle (the reference ostree binary, GLib), which
// fail instead of skipping when CI or TEST_DISALLOW_SKIP is set.
//
// Level: test-only; imports the standard library.
package testutil
