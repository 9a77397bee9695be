package remotecmd

// Internals the external tests use.
var SetupRemoteGpgImport = setupRemoteGpgImport
var SetupRemoteGpgListKeys = setupRemoteGpgListKeys
