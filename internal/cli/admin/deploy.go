package admin

import (
	"fmt"
	"os"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/sysroot"
)

// deployFlags are the options of `admin deploy`.
type deployFlags struct {
	osname, stateroot, originFile                         string
	noPrune, noMerge, retain, stage, retainPending        bool
	retainRollback, notDefault, kargProcCmdline, kargNone bool
	kargs, kargsAppend, overlayInitrds                    []string
	kargDelete                                            []string
	lockFinalization                                      bool
}

// setupAdminDeploy is `ostree admin deploy REFSPEC`.
func setupAdminDeploy(in *clikit.Invocation) func([]string) error {
	f := &deployFlags{}
	in.String("os", 0, "OSNAME", "Use a different operating system root than the current one", &f.osname)
	in.String("stateroot", 0, "STATEROOT", "Target the provided stateroot", &f.stateroot)
	in.String("origin-file", 0, "FILENAME", "Specify origin file", &f.originFile)
	in.Flag("no-prune", 0, "Don't prune the repo when done", &f.noPrune)
	in.Flag("no-merge", 0, "Do not apply configuration (/etc and kernel arguments) from booted deployment", &f.noMerge)
	in.Flag("retain", 0, "Do not delete previous deployments", &f.retain)
	in.Flag("stage", 0, "Complete deployment at OS shutdown", &f.stage)
	in.Flag("lock-finalization", 0, "Prevent automatic deployment finalization on shutdown", &f.lockFinalization)
	in.Flag("retain-pending", 0, "Do not delete pending deployments", &f.retainPending)
	in.Flag("retain-rollback", 0, "Do not delete rollback deployments", &f.retainRollback)
	in.Flag("not-as-default", 0, "Append rather than prepend new deployment", &f.notDefault)
	in.Flag("karg-proc-cmdline", 0, "Import current /proc/cmdline", &f.kargProcCmdline)
	in.Strings("karg", 0, "NAME=VALUE", "Set kernel argument, like root=/dev/sda1; this overrides any earlier argument with the same name", &f.kargs)
	in.Strings("karg-append", 0, "NAME=VALUE", "Append kernel argument; useful with e.g. console= that can be used multiple times", &f.kargsAppend)
	in.Flag("karg-none", 0, "Do not import kernel arguments", &f.kargNone)
	in.Strings("karg-delete", 0, "NAME=VALUE", "Delete kernel argument if exists, can be used multiple times", &f.kargDelete)
	in.Strings("overlay-initrd", 0, "FILE", "Overlay iniramfs file", &f.overlayInitrds)
	return func(args []string) error { return runAdminDeploy(in, f, args) }
}

func runAdminDeploy(in *clikit.Invocation, f *deployFlags, args []string) error {
	s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
	if err != nil {
		return err
	}
	defer release()
	if len(args) < 1 {
		return clikit.Usage("REF/REV must be specified")
	}
	switch {
	case f.kargProcCmdline && f.kargNone:
		return clikit.Usage("Can't specify both --karg-proc-cmdline and --karg-none")
	case f.kargNone && len(f.kargDelete) > 0:
		return clikit.Usage("Can't specify both --karg-none and --karg-delete")
	case f.noMerge && len(f.kargDelete) > 0:
		return clikit.Usage("Can't specify both --no-merge and --karg-delete")
	}
	refspec := args[0]
	if f.stateroot != "" {
		f.osname = f.stateroot // --stateroot (2025.2) wins over --os
	}
	if s.Booted == nil && f.osname == "" {
		return fmt.Errorf("Looking for booted deployment: Not currently booted into an OSTree system and no --os= argument given")
	}
	var origin *keyfile.File
	if f.originFile != "" {
		b, err := os.ReadFile(f.originFile)
		if err != nil {
			return err
		}
		if origin, err = keyfile.Parse(b); err != nil {
			return fmt.Errorf("%s: %w", f.originFile, err)
		}
		origin.StripComments()
	} else {
		origin = keyfileWithRefspec(refspec)
	}
	r, err := s.Repo(in.Ctx)
	if err != nil {
		return err
	}
	rev, err := r.ResolveRev(in.Ctx, refspec, false)
	if err != nil {
		return err
	}
	var merge *sysroot.Deployment
	if !f.noMerge {
		merge = s.MergeDeployment(f.osname)
	}
	if err := s.Cleanup(in.Ctx, sysroot.CleanupOptions{}); err != nil {
		return fmt.Errorf("Performing initial cleanup: %w", err)
	}
	kargs, err := deployKargs(f, merge)
	if err != nil {
		return err
	}
	if len(f.overlayInitrds) > 0 {
		return fmt.Errorf("--overlay-initrd is not supported yet")
	}
	dopts := sysroot.DeployOptions{Stateroot: f.osname, Commit: rev, Origin: origin, Merge: merge, Kargs: kargs}
	if f.stage {
		return runAdminDeployStage(in, s, f, dopts)
	}
	res, err := s.DeployTree(in.Ctx, dopts)
	if err != nil {
		return err
	}
	for _, n := range res.VarNotes {
		fmt.Fprintf(in.Stderr, "note: Deploying commit %s which contains content in /var/%s that will be ignored.\n", rev, n)
	}
	wf := sysroot.SimpleWriteFlags{NoClean: true, Retain: f.retain, NotDefault: f.notDefault}
	if !f.retain {
		wf.RetainPending, wf.RetainRollback = f.retainPending, f.retainRollback
	}
	if err := s.SimpleWriteDeployment(in.Ctx, f.osname, res.Deployment, merge, wf); err != nil {
		return err
	}
	return s.Cleanup(in.Ctx, sysroot.CleanupOptions{Prune: !f.noPrune})
}

// deployKargs computes the kernel arguments a deploy overrides; nil keeps
// the merge deployment's.
func deployKargs(f *deployFlags, merge *sysroot.Deployment) ([]string, error) {
	var k *bootloader.KernelArgs
	switch {
	case f.kargNone:
		k = &bootloader.KernelArgs{}
	case f.kargProcCmdline:
		k = &bootloader.KernelArgs{}
		if err := k.AppendProcCmdline(); err != nil {
			return nil, err
		}
	case merge != nil && (len(f.kargs) > 0 || len(f.kargsAppend) > 0 || len(f.kargDelete) > 0):
		opts := ""
		if merge.BootConfig != nil {
			opts = merge.BootConfig.Value("options")
		}
		k = bootloader.ParseKernelArgs(opts)
	}
	if len(f.kargs) > 0 {
		if k == nil {
			k = &bootloader.KernelArgs{}
		}
		for _, a := range f.kargs {
			k.Replace(a)
		}
	}
	if len(f.kargsAppend) > 0 {
		if k == nil {
			k = &bootloader.KernelArgs{}
		}
		for _, a := range f.kargsAppend {
			k.Append(a)
		}
	}
	// Since 2024 every --karg-delete counts and an absent argument is
	// not an error (2022.7 kept the last one and refused absent keys).
	for _, a := range f.kargDelete {
		if k == nil {
			k = &bootloader.KernelArgs{}
		}
		if err := k.DeleteIfPresent(a); err != nil {
			return nil, err
		}
	}
	if k == nil {
		return nil, nil
	}
	return k.Strings(), nil
}

// keyfileWithRefspec is a new origin following refspec.
func keyfileWithRefspec(refspec string) *keyfile.File {
	kf := keyfile.New()
	kf.SetString("origin", "refspec", refspec)
	return kf
}
