package cli

func setupExport(in *Invocation) func([]string) error { return notImplemented(in) }
