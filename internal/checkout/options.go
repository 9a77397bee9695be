package checkout

// Overwrite says what to do when the destination already has an entry.
type Overwrite int

// Overwrite modes, as libostree's OstreeRepoCheckoutOverwriteMode.
const (
	// OverwriteNone fails on any existing entry.
	OverwriteNone Overwrite = iota
	// OverwriteUnionFiles keeps existing directories and replaces files.
	OverwriteUnionFiles
	// OverwriteAddFiles keeps everything that exists and only adds.
	OverwriteAddFiles
	// OverwriteUnionIdentical adds, and fails unless an existing file is
	// identical to the one checked out.
	OverwriteUnionIdentical
)

// Options configure a checkout. The zero value is a root-mode checkout
// that fails if the destination exists.
type Options struct {
	// UserMode neither changes ownership nor sets xattrs, strips setuid
	// and setgid bits, and hard links only from bare-user and
	// bare-user-only repositories. It is forced for bare-user-only.
	UserMode  bool
	Overwrite Overwrite
	// Subpath selects a directory or file of the commit ("" or "/" for
	// all of it), resolved as libostree resolves paths.
	Subpath string
	// AllowNoent makes a missing Subpath a successful no-op.
	AllowNoent bool
	// Whiteouts processes Docker-style ".wh.NAME" and ".wh..wh..opq".
	Whiteouts bool
	// PassthroughWhiteouts turns ".ostree-wh.NAME" into overlayfs
	// whiteouts (character devices 0:0).
	PassthroughWhiteouts bool
	// RequireHardlinks fails instead of copying when a file cannot be
	// hard linked (bare-user symlinks and empty files still copy).
	RequireHardlinks bool
	// ForceCopy never hard links; directories keep their current mtime.
	ForceCopy bool
	// BareUserOnlyDirs masks directory modes to 0775, as checkouts from
	// bare-user-only repositories always do.
	BareUserOnlyDirs bool
	// Skip, when set, is consulted with each path relative to the
	// checkout root ("/a/file", "/a/dir/"); true skips the entry. It is
	// called from several goroutines at once.
	Skip func(path string) bool
	// UncompressedCache lets user-mode checkouts from archive
	// repositories fill and hard link from uncompressed-objects-cache,
	// when the repository's core.enable-uncompressed-cache allows it.
	UncompressedCache bool
	// Fsync fsyncs every file and directory written.
	Fsync bool
	// Workers bounds parallelism; 0 means runtime.NumCPU().
	Workers int
}
