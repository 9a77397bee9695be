package cli

func setupFsck(in *Invocation) func([]string) error { return notImplemented(in) }
