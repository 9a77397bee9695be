package cli

func setupLog(in *Invocation) func([]string) error { return notImplemented(in) }
