package cli

func setupCat(in *Invocation) func([]string) error { return notImplemented(in) }
