package cli

func setupCheckout(in *Invocation) func([]string) error { return notImplemented(in) }
