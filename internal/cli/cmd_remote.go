package cli

func setupRemoteAdd(in *Invocation) func([]string) error     { return notImplemented(in) }
func setupRemoteDelete(in *Invocation) func([]string) error  { return notImplemented(in) }
func setupRemoteShowURL(in *Invocation) func([]string) error { return notImplemented(in) }
func setupRemoteList(in *Invocation) func([]string) error    { return notImplemented(in) }
