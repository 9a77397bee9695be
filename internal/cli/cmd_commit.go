package cli

func setupCommit(in *Invocation) func([]string) error { return notImplemented(in) }
