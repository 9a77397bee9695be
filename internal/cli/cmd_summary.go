package cli

func setupSummary(in *Invocation) func([]string) error { return notImplemented(in) }
