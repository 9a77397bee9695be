package sysroot

import (
	"os"
)

// bootDirNames lists boot/ostree, to tell afterwards which kernel
// directories a write added.
func (s *Sysroot) bootDirNames() map[string]bool {
	names := map[string]bool{}
	ents, _ := readDirUnsorted(s.Abs("boot/ostree"))
	for _, e := range ents {
		names[e.Name()] = true
	}
	return names
}

// undoWrite removes what a WriteDeployments that failed before its
// commit point left behind: the unused boot version or bootlink farm it
// was building, kernel directories it added, and the directories of the
// deployments it was to publish. The boot configuration on disk decides
// whether the switch happened; if it did, nothing is removed. Errors are
// ignored: whatever stays is unreferenced, and Cleanup removes it.
func (s *Sysroot) undoWrite(list, current []*Deployment, bootDirsBefore map[string]bool) {
	bv, err := s.readBootVersion()
	if err != nil || bv != s.BootVersion {
		return
	}
	if sub, err := s.readSubBootVersion(bv); err != nil || sub != s.SubBootVersion {
		return
	}
	_ = s.cleanupOtherBootversions()
	_ = os.Remove(s.Abs("boot/loader.tmp"))
	for name := range s.bootDirNames() {
		if !bootDirsBefore[name] {
			_ = os.RemoveAll(s.Abs("boot/ostree/" + name))
		}
	}
	for _, d := range list {
		published := d.Staged
		for _, c := range current {
			published = published || c.Equal(d)
		}
		if !published {
			s.discardDeployment(d)
		}
	}
}
