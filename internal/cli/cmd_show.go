package cli

func setupShow(in *Invocation) func([]string) error { return notImplemented(in) }
