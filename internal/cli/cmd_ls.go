package cli

func setupLs(in *Invocation) func([]string) error { return notImplemented(in) }
