package cli

func setupPrune(in *Invocation) func([]string) error { return notImplemented(in) }
