package cli

func setupReset(in *Invocation) func([]string) error { return notImplemented(in) }
