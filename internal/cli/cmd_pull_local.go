package cli

func setupPullLocal(in *Invocation) func([]string) error { return notImplemented(in) }
