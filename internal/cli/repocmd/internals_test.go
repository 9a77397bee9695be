package repocmd

// Internals the external tests use.
type CommitJSON = commitJSON
type RefJSON = refJSON
