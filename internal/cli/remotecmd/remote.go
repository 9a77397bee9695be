package remotecmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
)

// remoteRepo opens the repository of the remote add/delete commands, which
// take their own --repo and --sysroot, and loads its remotes.
func remoteRepo(in *clikit.Invocation, repoPath, sysroot string) (*repo.Repo, *remote.Config, error) {
	if sysroot != "" {
		r, err := repo.Open(in.Ctx, filepath.Join(sysroot, "ostree", "repo"))
		if err != nil {
			return nil, nil, err
		}
		c, err := remote.LoadAt(in.Ctx, r, remote.SysrootLocation(sysroot))
		if err != nil {
			return nil, nil, err
		}
		return r, c, nil
	}
	in.RepoArg = repoPath
	r, err := in.OpenRepo()
	if err != nil {
		return nil, nil, err
	}
	c, err := remote.Load(in.Ctx, r)
	if err != nil {
		return nil, nil, err
	}
	return r, c, nil
}

// signTypes are the signature engines `remote add --sign-verify` knows.
var signTypes = []string{"ed25519", "dummy"}

func setupRemoteAdd(in *clikit.Invocation) func([]string) error {
	var (
		sets                                 []string
		noGPGVerify, noSignVerify            bool
		signVerify                           []string
		ifNotExists, force                   bool
		gpgImport, customBackend, contentURL string
		collectionID, repoPath, sysroot      string
	)
	in.Strings("set", 0, "KEY=VALUE", "Set config option KEY=VALUE for remote", &sets)
	in.Flag("no-gpg-verify", 0, "Disable GPG verification", &noGPGVerify)
	in.Flag("no-sign-verify", 0, "Disable signature verification", &noSignVerify)
	in.Strings("sign-verify", 0, "KEYTYPE=[inline|file]:PUBKEY", "Verify signatures using KEYTYPE=inline:PUBKEY or KEYTYPE=file:/path/to/key", &signVerify)
	in.Flag("if-not-exists", 0, "Do nothing if the provided remote exists", &ifNotExists)
	in.Flag("force", 0, "Replace the provided remote if it exists", &force)
	in.String("gpg-import", 0, "FILE", "Import GPG key from FILE", &gpgImport)
	in.String("custom-backend", 0, "NAME", "This remote has content not fetched via libostree", &customBackend)
	in.String("contenturl", 0, "URL", "Use URL when fetching content", &contentURL)
	in.String("collection-id", 0, "COLLECTION-ID", "Globally unique ID for this repository as an collection of refs for redistribution to other repositories", &collectionID)
	in.String("repo", 0, "PATH", "Path to OSTree repository (defaults to /sysroot/ostree/repo)", &repoPath)
	in.String("sysroot", 0, "PATH", "Use sysroot at PATH (overrides --repo)", &sysroot)
	return func(args []string) error {
		r, cfg, err := remoteRepo(in, repoPath, sysroot)
		if err != nil {
			return err
		}
		var url string
		if customBackend != "" {
			if len(args) < 1 {
				return clikit.Usage("NAME must be specified")
			}
			if len(args) >= 2 {
				url = args[1]
			}
		} else {
			if len(args) < 2 {
				return clikit.Usage("NAME and URL must be specified")
			}
			url = args[1]
		}
		name := args[0]
		if ifNotExists && force {
			return clikit.Usage("Can only specify one of --if-not-exists and --force")
		}
		var settings []remote.Setting
		if len(args) > 2 {
			settings = append(settings, remote.Setting{Key: "branches", Value: args[2:]})
		}
		if contentURL != "" {
			settings = append(settings, remote.Setting{Key: "contenturl", Value: contentURL})
		}
		if customBackend != "" {
			settings = append(settings, remote.Setting{Key: "custom-backend", Value: customBackend})
		}
		for _, kv := range sets {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("Missing '=' in KEY=VALUE for --set")
			}
			settings = append(settings, remote.Setting{Key: k, Value: v})
		}
		if noGPGVerify || noSignVerify {
			settings = append(settings, remote.Setting{Key: "gpg-verify", Value: false})
		}
		if noSignVerify {
			if len(signVerify) > 0 {
				return fmt.Errorf("Cannot specify both --sign-verify and --no-sign-verify")
			}
			settings = append(settings, remote.Setting{Key: "sign-verify", Value: false})
		}
		var signNames []string
		for _, spec := range signVerify {
			s, name, err := signVerifySetting(spec)
			if err != nil {
				return err
			}
			settings = append(settings, s)
			signNames = append(signNames, name)
		}
		if len(signNames) > 0 {
			settings = append(settings, remote.Setting{Key: "sign-verify", Value: strings.Join(signNames, ",")})
		}
		if collectionID != "" {
			settings = append(settings, remote.Setting{Key: "collection-id", Value: collectionID})
		}
		mode := remote.Fail
		switch {
		case ifNotExists:
			mode = remote.IfNotExists
		case force:
			mode = remote.Replace
		}
		if err := cfg.Add(in.Ctx, mode, name, url, settings); err != nil {
			return clikit.RemoteError(err)
		}
		if gpgImport != "" {
			// ostree imports after adding, and keeps the remote when the
			// import fails.
			f, err := os.Open(gpgImport)
			if err != nil {
				return clikit.GIOOpenError(gpgImport, err)
			}
			defer f.Close()
			n, err := gpgImportKeys(in, r, cfg, name, f, nil)
			if err != nil {
				return err
			}
			printImported(in, n, name)
		}
		return nil
	}
}

// signVerifySetting parses KEYTYPE=inline:KEY or KEYTYPE=file:PATH.
func signVerifySetting(spec string) (remote.Setting, string, error) {
	keytype, rest, ok := strings.Cut(spec, "=")
	if !ok {
		return remote.Setting{}, "", fmt.Errorf("Failed to parse KEYTYPE=[inline|file]:DATA in %s", spec)
	}
	known := false
	for _, t := range signTypes {
		known = known || t == keytype
	}
	if !known {
		return remote.Setting{}, "", fmt.Errorf("Requested signature type is not implemented")
	}
	keyref, data, ok := strings.Cut(rest, ":")
	var opt string
	switch keyref {
	case "inline":
		opt = "verification-" + keytype + "-key"
	case "file":
		opt = "verification-" + keytype + "-file"
	default:
		return remote.Setting{}, "", fmt.Errorf("Invalid key reference %s, expected inline|file", keyref)
	}
	if !ok {
		return remote.Setting{}, "", fmt.Errorf("Failed to parse KEYTYPE=[inline|file]:DATA in %s", spec)
	}
	return remote.Setting{Key: opt, Value: data}, keytype, nil
}

func setupRemoteDelete(in *clikit.Invocation) func([]string) error {
	var ifExists bool
	var repoPath, sysroot string
	in.Flag("if-exists", 0, "Do nothing if the provided remote does not exist", &ifExists)
	in.String("repo", 0, "PATH", "Path to OSTree repository (defaults to /sysroot/ostree/repo)", &repoPath)
	in.String("sysroot", 0, "PATH", "Use sysroot at PATH (overrides --repo)", &sysroot)
	return func(args []string) error {
		_, cfg, err := remoteRepo(in, repoPath, sysroot)
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("NAME must be specified")
		}
		return clikit.RemoteError(cfg.Delete(in.Ctx, args[0], ifExists))
	}
}

func setupRemoteShowURL(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("NAME must be specified")
		}
		cfg, err := remote.Load(in.Ctx, r)
		if err != nil {
			return err
		}
		u, err := cfg.URL(args[0])
		if err != nil {
			return remoteURLError(args[0], err)
		}
		fmt.Fprintln(in.Stdout, u)
		return nil
	}
}

// remoteURLError words a failed URL lookup as libostree does.
func remoteURLError(name string, err error) error {
	var nf *remote.NotFoundError
	if errors.As(err, &nf) {
		return clikit.RemoteError(err)
	}
	return fmt.Errorf("No \"url\" option in remote \"%s\"", name)
}

// remoteJSON is one remote of `remote list --json`.
type remoteJSON struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

func setupRemoteList(in *clikit.Invocation) func([]string) error {
	var showURLs, asJSON bool
	in.Flag("show-urls", 'u', "Show remote URLs in list", &showURLs)
	in.OwnFlag("json", 0, "Print a JSON array of {name, url}", &asJSON)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		cfg, err := remote.Load(in.Ctx, r)
		if err != nil {
			return err
		}
		names := cfg.Names()
		if asJSON {
			out := make([]remoteJSON, 0, len(names))
			for _, n := range names {
				u, _ := cfg.Option(n, "url", "")
				out = append(out, remoteJSON{Name: n, URL: u})
			}
			return writeRemoteJSON(in, out)
		}
		if !showURLs {
			for _, n := range names {
				fmt.Fprintln(in.Stdout, n)
			}
			return nil
		}
		width := 0
		for _, n := range names {
			width = max(width, len(n))
		}
		var b strings.Builder
		for _, n := range names {
			u, err := cfg.URL(n)
			if err != nil {
				in.Stdout.Write([]byte(b.String()))
				return remoteURLError(n, err)
			}
			fmt.Fprintf(&b, "%-*s  %s\n", width, n, u)
		}
		_, err = in.Stdout.Write([]byte(b.String()))
		return err
	}
}

// writeRemoteJSON prints v as indented JSON (the --json output of the
// remote commands), URLs left unescaped.
func writeRemoteJSON(in *clikit.Invocation, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := in.Stdout.Write(b.Bytes())
	return err
}

func printImported(in *clikit.Invocation, n int, name string) {
	plural := "s"
	if n == 1 {
		plural = ""
	}
	fmt.Fprintf(in.Stdout, "Imported %d GPG key%s to remote \"%s\"\n", n, plural, name)
}
