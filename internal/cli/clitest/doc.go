// Package clitest holds the helpers the command line's tests share:
// running our Main and the reference ostree, GPG test keys, a served
// reference repository. Only tests import it.
package clitest
