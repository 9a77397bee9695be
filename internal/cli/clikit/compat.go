package clikit

// CompatEnv names the libostree release whose behaviour gostree keeps
// where 2025.2 changed it and nothing else tells the two apart (see
// docs/conformance-2025.md, "Where the releases disagree"). Only
// "2022.7" is recognised; the default is 2025.2's behaviour.
const CompatEnv = "GOSTREE_LIBOSTREE_COMPAT"

// Compat2022 reports whether libostree 2022.7's behaviour was asked for.
func Compat2022(in *Invocation) bool { return in.Env(CompatEnv) == "2022.7" }
