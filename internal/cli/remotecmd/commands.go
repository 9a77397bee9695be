package remotecmd

import "github.com/gostree/gostree/internal/cli/clikit"

// Command is `ostree remote` with its subcommands.
func Command() *clikit.Command {
	return &clikit.Command{Name: "remote", Summary: "Remote commands that may involve internet access", Sub: []*clikit.Command{
		{Name: "add", Summary: "Add a remote repository", Usage: "NAME [metalink=|mirrorlist=]URL [BRANCH...]", NoRepo: true, Setup: setupRemoteAdd},
		{Name: "delete", Summary: "Delete a remote repository", Usage: "NAME", NoRepo: true, Setup: setupRemoteDelete},
		{Name: "show-url", Summary: "Show remote repository URL", Usage: "NAME", Setup: setupRemoteShowURL},
		{Name: "list", Summary: "List remote repository names", Setup: setupRemoteList},
		{Name: "gpg-import", Summary: "Import GPG keys", Usage: "NAME [KEY-ID...]", Setup: setupRemoteGpgImport},
		{Name: "gpg-list-keys", Summary: "Show remote GPG keys", Usage: "NAME", Setup: setupRemoteGpgListKeys},
		{Name: "add-cookie", Summary: "Add a cookie to remote", Usage: "NAME DOMAIN PATH COOKIE_NAME VALUE", Setup: setupRemoteAddCookie},
		{Name: "delete-cookie", Summary: "Remove one cookie from remote", Usage: "NAME DOMAIN PATH COOKIE_NAME", Setup: setupRemoteDeleteCookie},
		{Name: "list-cookies", Summary: "Show remote repository cookies", Usage: "NAME", Setup: setupRemoteListCookies},
		{Name: "refs", Summary: "List remote refs", Usage: "NAME", Setup: setupRemoteRefs},
		{Name: "summary", Summary: "Show remote summary", Usage: "NAME", Setup: setupRemoteSummary},
	}}
}
