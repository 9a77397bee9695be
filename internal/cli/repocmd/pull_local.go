package repocmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
)

// PullLocal sets up `ostree pull-local`.
func PullLocal(in *clikit.Invocation) func([]string) error {
	var remote string
	var commitOnly, disableFsync, perObjectFsync, untrusted, bareUserOnlyFiles bool
	var requireDeltas, disableDeltas, gpgVerify, gpgVerifySummary, disableVerifyBindings bool
	var depth, progressFD int
	in.Flag("commit-metadata-only", 0, "Fetch only the commit metadata", &commitOnly)
	in.String("remote", 0, "REMOTE", "Add REMOTE to refspec", &remote)
	in.Flag("disable-fsync", 0, "Do not invoke fsync()", &disableFsync)
	in.Flag("per-object-fsync", 0, "Perform writes in such a way that avoids stalling concurrent processes", &perObjectFsync)
	in.Flag("untrusted", 0, "Verify checksums of local sources (always enabled for HTTP pulls)", &untrusted)
	in.Flag("bareuseronly-files", 0, "Reject regular files with mode outside of 0775 (world writable, suid, etc.)", &bareUserOnlyFiles)
	in.Flag("require-static-deltas", 0, "Require static deltas", &requireDeltas)
	// Local pulls copy objects and use deltas only when required, so
	// this only conflicts with --require-static-deltas.
	in.Flag("disable-static-deltas", 0, "Do not use static deltas", &disableDeltas)
	in.Flag("gpg-verify", 0, "GPG verify commits (must specify --remote)", &gpgVerify)
	in.Flag("gpg-verify-summary", 0, "GPG verify summary (must specify --remote)", &gpgVerifySummary)
	in.Flag("disable-verify-bindings", 0, "Do not verify commit bindings", &disableVerifyBindings)
	in.Int("depth", 0, "DEPTH", "Traverse DEPTH parents (-1=infinite) (default: 0)", &depth)
	progressFDOption(in, &progressFD)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("DESTINATION must be specified")
		}
		if disableFsync {
			r.SetFsync(false)
		}
		srcRepo, err := repo.Open(in.Ctx, args[0])
		if err != nil {
			return err
		}
		if disableDeltas && requireDeltas {
			return errors.New("--disable-static-deltas and --require-static-deltas are mutually exclusive")
		}
		var deltas *pull.DeltaOptions
		if requireDeltas {
			// Deltas are used only when required, to test them without
			// a web server.
			if deltas, err = pull.LocalDeltaOptions(srcRepo); err != nil {
				return err
			}
		}
		if gpgVerifySummary {
			summ, sig, err := readSummaryFiles(srcRepo.Path())
			if err != nil {
				return err
			}
			if err := clikit.GPGCheckRemoteSummary(in, r, remote, summ, sig); err != nil {
				return err
			}
		}
		var verify func(context.Context, object.Checksum, []byte, []byte) error
		if gpgVerify {
			if verify, err = clikit.GPGCommitVerifier(in, r, remote); err != nil {
				return err
			}
		}
		prog := new(pull.Progress)
		stopProgress, err := startPullProgress(in, prog, progressFD)
		if err != nil {
			return err
		}
		start := time.Now()
		st, err := pull.Pull(in.Ctx, r, pull.NewLocalSource(srcRepo), pull.Options{
			Refs:                  args[1:],
			Remote:                remote,
			Depth:                 depth,
			CommitOnly:            commitOnly,
			Untrusted:             untrusted,
			DisableVerifyBindings: disableVerifyBindings,
			BareUserOnlyFiles:     bareUserOnlyFiles,
			VerifyCommit:          verify,
			Progress:              prog,
			Deltas:                deltas,
		})
		stopProgress(err)
		if err != nil {
			return err
		}
		if deltas != nil {
			// Required deltas take libostree's fetcher path, reported as such.
			fmt.Fprintln(in.Stdout, pullStatus(pull.DeltaPullResult(st, time.Since(start))))
			return nil
		}
		fmt.Fprintf(in.Stdout, "%d metadata, %d content objects imported; %s content written\n",
			st.MetadataImported, st.ContentImported, clikit.FormatSizeGLib(uint64(st.ContentBytesWritten)))
		return nil
	}
}

// readSummaryFiles reads a repository's summary and summary.sig; a missing
// file is nil.
func readSummaryFiles(repoPath string) (summ, sig []byte, err error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(repoPath, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if b == nil && err == nil {
			b = []byte{}
		}
		return b, err
	}
	if summ, err = read("summary"); err != nil {
		return nil, nil, err
	}
	if sig, err = read("summary.sig"); err != nil {
		return nil, nil, err
	}
	return summ, sig, nil
}
