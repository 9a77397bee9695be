package repocmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// Pull sets up `ostree pull`.
func Pull(in *clikit.Invocation) func([]string) error {
	var commitOnly, disableFsync, perObjectFsync, disableDeltas, requireDeltas, mirror bool
	var untrusted, httpTrusted, bareUserOnlyFiles, dryRun, timestampCheck, disableVerifyBindings, noRetryAll bool
	var cacheDir, overrideURL, timestampFrom, appendUserAgent string
	var subpaths, headers, localCaches []string
	var depth, frequency, progressFD int
	retries, lowSpeedLimit, lowSpeedTime, maxRequests := -1, -1, -1, -1
	in.Flag("commit-metadata-only", 0, "Fetch only the commit metadata", &commitOnly)
	in.String("cache-dir", 0, "", "Use custom cache dir", &cacheDir)
	in.Flag("disable-fsync", 0, "Do not invoke fsync()", &disableFsync)
	in.Flag("per-object-fsync", 0, "Perform writes in such a way that avoids stalling concurrent processes", &perObjectFsync)
	in.Flag("disable-static-deltas", 0, "Do not use static deltas", &disableDeltas)
	in.Flag("require-static-deltas", 0, "Require static deltas", &requireDeltas)
	in.Flag("disable-retry-on-network-errors", 0, "Do not retry when network issues happen, instead fail automatically. (Currently only affects libcurl)", &noRetryAll)
	in.Flag("mirror", 0, "Write refs suitable for a mirror and fetches all refs if none provided", &mirror)
	in.Strings("subpath", 0, "", "Only pull the provided subpath(s)", &subpaths)
	in.Flag("untrusted", 0, "Verify checksums of local sources (always enabled for HTTP pulls)", &untrusted)
	in.Flag("http-trusted", 0, "Do not verify checksums of HTTP sources (mostly useful when mirroring)", &httpTrusted)
	in.Flag("bareuseronly-files", 0, "Reject regular files with mode outside of 0775 (world writable, suid, etc.)", &bareUserOnlyFiles)
	in.Flag("dry-run", 0, "Only print information on what will be downloaded (requires static deltas)", &dryRun)
	in.Int("depth", 0, "DEPTH", "Traverse DEPTH parents (-1=infinite) (default: 0)", &depth)
	in.String("url", 0, "URL", "Pull objects from this URL instead of the one from the remote config", &overrideURL)
	in.Strings("http-header", 0, "NAME=VALUE", "Add NAME=VALUE as HTTP header to all requests", &headers)
	in.Int("update-frequency", 0, "FREQUENCY", "Sets the update frequency, in milliseconds (0=1000ms) (default: 0)", &frequency)
	in.Int("network-retries", 0, "N", "Specifies how many times each download should be retried upon error (default: 5)", &retries)
	in.Int("low-speed-limit-bytes", 0, "N", "The average transfer speed per second of a transfer during the time set via 'low-speed-time-seconds' for libcurl to abort(default: 1000)", &lowSpeedLimit)
	in.Int("low-speed-time-seconds", 0, "N", "The time in number seconds that the transfer speed should be below the 'low-speed-limit-bytes' setting for libcurl to abort (default: 30)", &lowSpeedTime)
	in.Int("max-outstanding-fetcher-requests", 0, "N", "The max amount of concurrent connections allowed. (default: 8)", &maxRequests)
	in.Strings("localcache-repo", 'L', "REPO", "Add REPO as local cache source for objects during this pull", &localCaches)
	in.Flag("timestamp-check", 'T', "Require fetched commits to have newer timestamps", &timestampCheck)
	in.String("timestamp-check-from-rev", 0, "", "Require fetched commits to have newer timestamps than given rev", &timestampFrom)
	in.Flag("disable-verify-bindings", 0, "Do not verify commit bindings", &disableVerifyBindings)
	progressFDOption(in, &progressFD)
	in.Options = append(in.Options, &clikit.Option{Long: "append-user-agent", Arg: "", Desc: "Append string to user agent", Str: &appendUserAgent, Hidden: true})
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("REMOTE must be specified")
		}
		logBudget(in, r)
		if disableFsync {
			r.SetFsync(false)
		}
		if dryRun && !requireDeltas {
			return errors.New("--dry-run requires --require-static-deltas")
		}
		if disableDeltas && requireDeltas {
			return errors.New("--disable-static-deltas and --require-static-deltas are mutually exclusive")
		}
		if depth < -1 {
			return fmt.Errorf("Invalid depth %d", depth)
		}
		if timestampCheck && depth != 0 {
			return errors.New("--timestamp-check requires --depth=0")
		}
		remoteName, refs, overrides, err := parsePullArgs(args)
		if err != nil {
			return err
		}
		for _, p := range subpaths {
			if !strings.HasPrefix(p, "/") {
				return fmt.Errorf("Subpath %s must be absolute", p)
			}
		}
		hdr := http.Header{}
		for _, kv := range headers {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return errors.New("Missing '=' in --http-header")
			}
			hdr.Add(k, v)
		}
		opts := pull.RemoteOptions{
			CountMissingDetached: clikit.Compat2022(in),
			Options: pull.Options{
				Refs:                  refs,
				Overrides:             overrides,
				Mirror:                mirror,
				Depth:                 depth,
				CommitOnly:            commitOnly,
				Subpaths:              subpaths,
				Untrusted:             untrusted,
				HTTPTrusted:           httpTrusted,
				DisableVerifyBindings: disableVerifyBindings,
				BareUserOnlyFiles:     bareUserOnlyFiles,
				TimestampCheck:        timestampCheck,
			},
			URL:                 overrideURL,
			NetworkRetries:      retries,
			HTTPHeaders:         hdr,
			AppendUserAgent:     appendUserAgent,
			DisableStaticDeltas: disableDeltas,
			RequireStaticDeltas: requireDeltas,
			DryRun:              dryRun,
		}
		applyFetcherKnobs(&opts, noRetryAll, lowSpeedLimit, lowSpeedTime, maxRequests)
		switch {
		case cacheDir != "":
			opts.CacheDir = cacheDir
		case in.Env("OSTREE_SKIP_CACHE") == "":
			opts.CacheDir = filepath.Join(r.Path(), "tmp", "cache")
		}
		if timestampFrom != "" {
			c, err := r.ResolveRev(in.Ctx, timestampFrom, false)
			if err != nil {
				return err
			}
			opts.TimestampCheckFrom = &c
		}
		// Signatures are checked with the keys trusted for the remote
		// (gpg-verify, gpg-verify-summary).
		var verifySummary func(ctx context.Context, remote string, summary, sig []byte) error
		opts.GPGVerifyCommit, verifySummary = clikit.GPGPullHooks(in, r)
		opts.GPGVerifySummary = func(ctx context.Context, remote string, summary, sig []byte) error {
			// GLib reads a damaged summary.sig as holding no signatures,
			// and libostree says so.
			if _, err := sign.UnmarshalSummarySig(sig); err != nil {
				return sign.ErrNoSignatures
			}
			return verifySummary(ctx, remote, summary, sig)
		}
		for _, p := range localCaches {
			cr, err := repo.Open(in.Ctx, p)
			if err != nil {
				return err
			}
			opts.LocalCaches = append(opts.LocalCaches, cr)
		}
		opts.Progress = new(pull.Progress)
		stopProgress, err := startPullProgress(in, opts.Progress, progressFD)
		if err != nil {
			return err
		}
		res, err := pull.PullRemote(in.Ctx, r, remoteName, opts)
		stopProgress(err)
		if err != nil {
			return err
		}
		if dryRun {
			fmt.Fprintln(in.Stdout, deltaDryRunLine(res.Deltas))
			return nil
		}
		fmt.Fprintln(in.Stdout, pullStatus(res))
		return nil
	}
}

// parsePullArgs splits `REMOTE [BRANCH[@COMMIT]...]`, or a single
// `REMOTE:BRANCH`, as ot-builtin-pull.c does.
func parsePullArgs(args []string) (remote string, refs []string, overrides map[string]object.Checksum, err error) {
	if strings.Contains(args[0], ":") {
		spec, err := repo.ParseRefspec(args[0])
		if err != nil {
			return "", nil, nil, err
		}
		return spec.Remote, []string{spec.Ref}, nil, nil
	}
	for _, a := range args[1:] {
		if at := strings.LastIndex(a, "@"); at >= 0 {
			c, err := object.ParseChecksum(a[at+1:])
			if err != nil || len(a[at+1:]) != 64 {
				return "", nil, nil, fmt.Errorf("Invalid rev %s", a[at+1:])
			}
			if overrides == nil {
				overrides = map[string]object.Checksum{}
			}
			overrides[a[:at]] = c
			a = a[:at]
		}
		refs = append(refs, a)
	}
	return args[0], refs, overrides, nil
}

// pullStatus is the summary line libostree's pull leaves as its progress
// status.
func pullStatus(r pull.RemoteResult) string {
	var b strings.Builder
	if r.Local {
		fmt.Fprintf(&b, "%d metadata, %d content objects imported", r.MetadataImported, r.ContentImported)
	} else if r.Deltas.PartsFetched > 0 {
		fmt.Fprintf(&b, "%d delta parts, %d loose fetched", r.Deltas.PartsFetched, r.MetadataFetched+r.ContentFetched)
	} else {
		fmt.Fprintf(&b, "%d metadata, %d content objects fetched", r.MetadataFetched, r.ContentFetched)
		if r.MetadataLocal > 0 || r.ContentLocal > 0 {
			fmt.Fprintf(&b, " (%d meta, %d content local)", r.MetadataLocal, r.ContentLocal)
		}
	}
	if r.BytesTransferred > 0 {
		n, unit := r.BytesTransferred, "B"
		if n >= 1024 {
			n, unit = n/1024, "KiB"
		}
		fmt.Fprintf(&b, "; %d %s transferred in %d seconds", n, unit, int(r.Elapsed/time.Second))
	}
	fmt.Fprintf(&b, "; %s content written", clikit.FormatSizeGLib(uint64(r.ContentBytesWritten)))
	return b.String()
}
