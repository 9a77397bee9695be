package repocmd

import (
	"errors"
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/finder"
	"github.com/gostree/gostree/internal/object"
)

// CreateUSB sets up `ostree create-usb`.
func CreateUSB(in *clikit.Invocation) func([]string) error {
	var disableFsync bool
	var destRepo, commit string
	in.Flag("disable-fsync", 0, "Do not invoke fsync()", &disableFsync)
	in.String("destination-repo", 0, "DEST", "Use custom repository directory within the mount", &destRepo)
	in.String("commit", 0, "COMMIT", "Pull a specific commit (only works when a single ref is specified)", &commit)
	return func(args []string) error {
		src, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("A MOUNT-PATH must be specified")
		}
		if len(args) < 3 {
			return clikit.Usage("At least one COLLECTION-ID REF pair must be specified")
		}
		if len(args)%2 == 0 {
			return clikit.Usage("Only complete COLLECTION-ID REF pairs may be specified")
		}
		if commit != "" && len(args) > 3 {
			return clikit.Usage("The --commit option can only be used when a single COLLECTION-ID REF pair is specified")
		}
		mount := args[0]
		refs, err := parseCollectionRefs(args[1:])
		if err != nil {
			return err
		}
		opts := finder.USBOptions{DestinationRepo: destRepo, DisableFsync: disableFsync}
		if commit != "" {
			c, err := object.ParseChecksum(commit)
			if err != nil {
				return fmt.Errorf("Invalid checksum %s", commit)
			}
			opts.Commit = &c
		}
		err = finder.CreateUSB(in.Ctx, src, mount, refs, opts)
		switch {
		case errors.Is(err, finder.ErrDestinationOutside), errors.Is(err, finder.ErrDestinationIsSource):
			return clikit.Usage("%s", err)
		case err != nil:
			return err
		}
		dest := destRepo
		if dest == "" {
			dest = finder.DefaultUSBRepo
		}
		in.Printf("Copied %d/%d refs successfully from ‘%s’ to ‘%s’ repository in ‘%s’.\n", len(refs), len(refs), src.Path(), dest, mount)
		return nil
	}
}
