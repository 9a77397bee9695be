package sysroot

import (
	"context"
	"fmt"
	"os"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/fsx"
)

// SetKargs gives d new kernel arguments by writing a new boot version
// (ostree_sysroot_deployment_set_kargs).
func (s *Sysroot) SetKargs(ctx context.Context, d *Deployment, kargs []string) error {
	if d.Staged {
		return fmt.Errorf("cannot set kernel arguments of a staged deployment this way")
	}
	nd := d.Clone()
	k := &bootloader.KernelArgs{}
	for _, a := range kargs {
		k.Append(a)
	}
	if nd.BootConfig == nil {
		nd.BootConfig = bootloader.NewConfig()
	}
	nd.BootConfig.Set("options", k.String())
	list := make([]*Deployment, 0, len(s.Deployments))
	for _, cur := range s.Deployments {
		if cur == d {
			list = append(list, nd)
		} else {
			list = append(list, cur)
		}
	}
	return s.WriteDeployments(ctx, list, WriteOptions{PostClean: true})
}

// SetKargsInPlace rewrites d's BLS entry with new options in the current
// boot version, without a boot version swap; the entry file is replaced
// atomically.
func (s *Sysroot) SetKargsInPlace(d *Deployment, options string) error {
	if d.Staged {
		return fmt.Errorf("editing the kernel arguments of a staged deployment is not supported")
	}
	if d.BootConfig == nil {
		return fmt.Errorf("deployment %s has no boot entry", d.Name())
	}
	d.BootConfig.Set("options", options)
	data, err := d.BootConfig.Marshal()
	if err != nil {
		return err
	}
	dir := fmt.Sprintf("boot/loader.%d/entries/", s.BootVersion)
	// The file the entry was read from, whichever naming and counter it
	// has, is the one to replace: writing another name would leave two
	// entries for one deployment.
	if f := d.BootConfig.File; f != "" {
		if _, err := os.Stat(s.Abs(dir + f)); err == nil {
			return fsx.WriteFileAtomic(s.Abs(dir+f), data, 0o644, true)
		}
	}
	base := s.entryStem(len(s.Deployments), d.Index, d.Stateroot)
	name := dir + base + ".conf"
	if _, err := os.Stat(s.Abs(name)); err != nil {
		// The entry may carry a boot counter in its name.
		counted, _, ferr := s.entryFile(s.BootVersion, base)
		if ferr != nil || counted == "" {
			return err
		}
		return fsx.WriteFileAtomic(counted, data, 0o644, true)
	}
	return fsx.WriteFileAtomic(s.Abs(name), data, 0o644, true)
}
