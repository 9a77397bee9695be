package cli

func setupDiff(in *Invocation) func([]string) error { return notImplemented(in) }
