package cli

func setupRefs(in *Invocation) func([]string) error { return notImplemented(in) }
