package remotecmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// SetupRemoteGpgImport is `ostree remote gpg-import NAME [KEY-ID...]`.
func setupRemoteGpgImport(in *clikit.Invocation) func([]string) error {
	var keyrings []string
	var stdin bool
	in.Strings("keyring", 'k', "FILE", "Import keys from a keyring file (repeatable)", &keyrings)
	in.Flag("stdin", 0, "Import keys from standard input", &stdin)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("NAME must be specified")
		}
		if stdin && len(keyrings) > 0 {
			return clikit.Usage("--keyring and --stdin are mutually exclusive")
		}
		name, keyIDs := args[0], args[1:]
		var src io.Reader = in.Stdin
		if !stdin {
			var all []byte
			for _, p := range keyrings {
				b, err := os.ReadFile(p)
				if err != nil {
					return clikit.GIOOpenError(p, err)
				}
				// Each file may be armored or binary on its own.
				if bin, err := sign.Dearmor(b); err == nil {
					b = bin
				}
				all = append(all, b...)
			}
			src = bytes.NewReader(all)
		}
		rc, err := remote.Load(in.Ctx, r)
		if err != nil {
			return err
		}
		n, err := gpgImportKeys(in, r, rc, name, src, keyIDs)
		if err != nil {
			return err
		}
		in.Printf("Imported %d GPG key%s to remote \"%s\"\n", n, gpgPlural(n), name)
		return nil
	}
}

func gpgPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// gpgImportKeys imports keys into the keyring of remote name, which rc
// (the remotes of r) must know (ostree_repo_remote_gpg_import), with
// libostree's "GPG: " error prefix; `remote add --gpg-import` uses it too.
func gpgImportKeys(in *clikit.Invocation, r *repo.Repo, rc *remote.Config, name string, src io.Reader, keyIDs []string) (int, error) {
	if _, err := rc.Get(name); err != nil {
		return 0, fmt.Errorf("GPG: %w", clikit.RemoteError(err))
	}
	n, err := sign.ImportKeys(in.Ctx, r.Path(), name, src, keyIDs)
	if err != nil {
		return 0, fmt.Errorf("GPG: %w", err)
	}
	return n, nil
}

// SetupRemoteGpgListKeys is `ostree remote gpg-list-keys [NAME]`: the keys
// trusted for remote NAME, or the global keys without NAME.
func setupRemoteGpgListKeys(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		src := sign.KeySources{Global: true, GlobalDir: clikit.GPGGlobalDir(in)}
		if len(args) > 0 {
			rc, err := remote.Load(in.Ctx, r)
			if err != nil {
				return err
			}
			if src, err = clikit.RemoteKeySources(in, r, rc, args[0]); err != nil {
				return err
			}
			src.Global = false // listing a remote shows only its own keys
		}
		kr, err := sign.LoadKeys(in.Ctx, src)
		if err != nil {
			return err
		}
		var out bytes.Buffer
		for _, k := range kr.Info(time.Now()) {
			out.WriteString(sign.FormatKeyInfo(k))
		}
		_, err = in.Stdout.Write(out.Bytes())
		return err
	}
}
