package clikit

// RunSetup parses args for one command's setup function and runs it,
// outside the command tree: tests run a command on its own this way.
func RunSetup(in *Invocation, setup func(*Invocation) func([]string) error, args []string) error {
	var version bool
	run := setup(in)
	opts := append(append([]*Option{}, commonOptions(in, true, &version)...), in.Options...)
	opts = dedupeShorts(append(opts, tailOptions(in, &version)...))
	pos, _, err := parseArgs(opts, args)
	if err != nil {
		return err
	}
	return run(pos)
}
