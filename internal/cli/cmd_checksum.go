package cli

func setupChecksum(in *Invocation) func([]string) error { return notImplemented(in) }
