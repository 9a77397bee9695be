package repocmd

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/progress"
	"github.com/gostree/gostree/internal/pull"
)

// progressFDOption declares --progress-json-fd, which the reference does
// not have: pulls write their progress there as JSON lines.
func progressFDOption(in *clikit.Invocation, fd *int) {
	*fd = -1
	in.Options = append(in.Options, &clikit.Option{Long: "progress-json-fd", Arg: "FD", Desc: "Write progress as JSON lines to file descriptor FD", Int: fd, Own: true})
}

// openProgressFD returns the writer for --progress-json-fd, or nil when
// the option is not given.
func openProgressFD(fd int) (io.Writer, error) {
	if fd < 0 {
		return nil, nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("Invalid --progress-json-fd %d: %w", fd, err)
	}
	return fdWriter(fd), nil
}

// fdWriter writes to a descriptor it does not own: unlike an *os.File it
// never closes it.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(w), p[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// newReporter makes the reporter of a long command: a bar on stdout when
// it is a terminal (and TERM is not "dumb"), JSON lines to js when set.
func newReporter(in *clikit.Invocation, js io.Writer, doneKey, totalKey string) *progress.Reporter {
	o := progress.Options{JSON: js, DoneKey: doneKey, TotalKey: totalKey}
	if in.Env("TERM") != "dumb" {
		o.Out = in.Stdout
	}
	return progress.New(o)
}

// startPullProgress shows p while a pull runs: a bar on a terminal, JSON
// lines on --progress-json-fd, nothing otherwise. The returned function
// stops it, clearing the bar, before the command prints its result.
func startPullProgress(in *clikit.Invocation, p *pull.Progress, jsonFD int) (stop func(error), err error) {
	js, err := openProgressFD(jsonFD)
	if err != nil {
		return nil, err
	}
	r := newReporter(in, js, "objects_fetched", "objects_total")
	t := progress.Start(r, 0, func() progress.Snapshot { return pullSnapshot(p.Counts()) })
	return t.Stop, nil
}

// pullSnapshot turns a pull's counts into what the bar and the JSON
// stream show; the labels are libostree's.
func pullSnapshot(c pull.ProgressCounts) progress.Snapshot {
	s := progress.Snapshot{
		Phase: c.Phase,
		Done:  c.MetadataFetched + c.ContentFetched,
		Total: c.MetadataRequested + c.ContentRequested,
		Bytes: c.BytesTransferred,
		Fields: []progress.Field{
			{Name: "metadata_requested", Value: c.MetadataRequested},
			{Name: "metadata_fetched", Value: c.MetadataFetched},
			{Name: "content_requested", Value: c.ContentRequested},
			{Name: "content_fetched", Value: c.ContentFetched},
			{Name: "delta_parts_total", Value: c.DeltaPartsTotal},
			{Name: "delta_parts_fetched", Value: c.DeltaPartsFetched},
		},
	}
	switch {
	case c.Phase == pull.PhaseResolve || c.Phase == "":
		s.Label = "Resolving refs"
	case c.Phase == pull.PhaseWrite:
		s.Label = "Writing objects"
	case c.ContentRequested == 0:
		s.Label = "Receiving metadata objects"
	default:
		s.Label = "Receiving objects"
	}
	return s
}
