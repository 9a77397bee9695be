package sysroot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// interopStep is one command of an interop sequence. It runs as tool A
// or B: the sequence is replayed by the reference alone, by gostree
// alone, and alternating (A gostree, B the reference), and after every
// step the three sysroots must be identical and both tools must print
// the same status.
type interopStep struct {
	b bool // run by tool B (else A)
	// src, when set, moves the file:// remote's branch to that commit
	// first.
	src string
	// args: "admin …" commands get --sysroot, others --repo (the
	// system repo).
	args []string
}

// interopRun is one replay of a sequence with its own sysroot.
type interopRun struct {
	name string
	a, b tool
	f    *fixture
}

func TestInteropSequences(t *testing.T) {
	ref := referenceTool(t)
	gs := gostreeTool(t)
	// The reference (2022.7) names entries ostree-N-STATEROOT.conf, as
	// gostree does under libostree's switch for that naming.
	t.Setenv("OSTREE_SYSROOT_OPTS", "bootloader-naming-1")
	t.Setenv("GOSTREE_LIBOSTREE_COMPAT", "2022.7") // and its entries lack aboot keys

	// The remote: an archive repo holding three builds on testos/main
	// (c1 and c2 share a kernel), and testos/other.
	base := t.TempDir()
	src := filepath.Join(base, "src")
	ref.run(t, "--repo="+src, "init", "--mode=archive")
	commits := map[string]string{}
	trees := map[string]string{}
	for i, spec := range []struct {
		name, branch, version string
		tree                  treeSpec
	}{
		{"c1", "testos/main", "1", treeSpec{content: 1}},
		{"c2", "testos/main", "2", treeSpec{content: 2, files: map[string]string{"usr/etc/aconfigfile": "changed in c2\n"}}},
		{"c3", "testos/main", "3", treeSpec{boot: 1, content: 3, files: map[string]string{"usr/etc/new-default": "new\n"}}},
		{"o1", "testos/other", "", treeSpec{boot: 2, content: 4, kernels: []string{"5.0.0"}}},
	} {
		tree := filepath.Join(base, "tree-"+spec.name)
		writeTree(t, tree, spec.tree)
		args := []string{"--repo=" + src, "commit", "-b", spec.branch, "-s", spec.name,
			fmt.Sprintf("--timestamp=@%d", 1700000000+i*3600), "--tree=dir=" + tree}
		if spec.version != "" {
			args = append(args, "--add-metadata-string=version="+spec.version)
		}
		commits[spec.name] = strings.TrimSpace(ref.run(t, args...))
		trees[commits[spec.name]] = tree
	}
	setSrc := func(name string) {
		if err := os.WriteFile(filepath.Join(src, "refs/heads/testos/main"), []byte(commits[name]+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setSrc("c1")

	tmpl := newFixture(t, ref)
	tmpl.trees = trees
	ref.run(t, "--repo="+tmpl.repo(), "remote", "add", "--no-gpg-verify", "origin", "file://"+src)

	A, B := func(args ...string) interopStep { return interopStep{args: args} }, func(args ...string) interopStep { return interopStep{b: true, args: args} }
	withSrc := func(c string, s interopStep) interopStep { s.src = c; return s }
	sequences := []struct {
		name  string
		steps []interopStep
	}{
		{"deploy-upgrade-pin-undeploy", []interopStep{
			A("pull", "origin", "testos/main"),
			B("admin", "deploy", "--os=testos", "--karg=root=LABEL=rootfs", "--karg-append=console=ttyS0", "origin:testos/main"),
			A("admin", "deploy", "--os=testos", "origin:testos/main"),
			withSrc("c2", B("admin", "upgrade", "--os=testos")),
			A("admin", "pin", "1"),
			withSrc("c3", B("admin", "upgrade", "--os=testos")),
			A("admin", "kargs", "edit-in-place", "--append-if-missing=quiet"),
			B("admin", "undeploy", "1"),
			A("admin", "pin", "--unpin", "1"),
			B("admin", "deploy", "--os=testos", "--not-as-default", "--karg-append=debug", "origin:testos/main"),
			A("admin", "undeploy", "0"),
			B("admin", "cleanup"),
		}},
		{"switch-retain-cleanup", []interopStep{
			A("pull", "origin", "testos/main", "testos/other"),
			B("admin", "deploy", "--os=testos", "--karg=root=/dev/sda1", "origin:testos/other"),
			A("admin", "switch", "--os=testos", "origin:testos/main"),
			withSrc("c2", B("admin", "upgrade", "--os=testos", "--pull-only")),
			A("admin", "upgrade", "--os=testos", "--deploy-only"),
			// switch deleted the ref it left.
			A("pull", "origin", "testos/other"),
			B("admin", "deploy", "--os=testos", "--retain", "--karg-delete=root=/dev/sda1", "origin:testos/other"),
			A("admin", "set-origin", "--index=1", "--set=gpg-verify=false", "mirror", "file://"+src, "testos/main"),
			B("admin", "undeploy", "2"),
			A("admin", "deploy", "--os=testos", "--retain-rollback", "--no-merge", "origin:testos/main"),
			B("admin", "cleanup"),
			A("admin", "undeploy", "1"),
		}},
	}

	for _, seq := range sequences {
		t.Run(seq.name, func(t *testing.T) {
			runs := []*interopRun{
				{name: "reference", a: ref, b: ref},
				{name: "gostree", a: gs, b: gs},
				{name: "alternating", a: gs, b: ref},
			}
			for _, r := range runs {
				r.f = tmpl.clone(t)
			}
			setSrc("c1")
			for i, st := range seq.steps {
				if st.src != "" {
					setSrc(st.src)
				}
				// The runs are independent: run them side by side.
				res := make([]stepResult, len(runs))
				var wg sync.WaitGroup
				for i, r := range runs {
					tl := r.a
					if st.b {
						tl = r.b
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						res[i] = runStep(tl, ref, gs, st, r.f)
					}()
				}
				wg.Wait()
				what := fmt.Sprintf("step %d (%s)", i+1, strings.Join(st.args, " "))
				for j, r := range runs {
					if res[j].err != nil {
						t.Fatalf("%s, run %s: %v", what, r.name, res[j].err)
					}
				}
				// The same command on the same state prints the same.
				if res[0].out != res[1].out {
					t.Errorf("%s: output differs\nreference:\n%s\ngostree:\n%s", what, res[0].out, res[1].out)
				}
				want := interopState(t, runs[0].f.root)
				for j, r := range runs {
					if res[j].refStatus != res[j].ourStatus {
						t.Errorf("%s, run %s: admin status differs\nreference:\n%s\ngostree:\n%s", what, r.name, res[j].refStatus, res[j].ourStatus)
					}
					if j == 0 {
						continue
					}
					if d := diffManifests(want, interopState(t, r.f.root)); len(d) > 0 {
						t.Fatalf("%s: the %s run's sysroot differs from the reference's:\n%s", what, r.name, strings.Join(d, "\n"))
					}
				}
			}
			for _, r := range runs {
				checkBootable(t, r.f, ref, true)
				checkNoOrphans(t, r.f)
			}
		})
	}
}

// stepResult is what one run of one step printed.
type stepResult struct {
	out, refStatus, ourStatus string
	err                       error
}

// runStep runs a step with tl, then `admin status` with both tools.
func runStep(tl, ref, gs tool, st interopStep, f *fixture) stepResult {
	var r stepResult
	args := stepArgs(st.args, f)
	o, e, err := tl.try(args...)
	if err != nil {
		r.err = fmt.Errorf("%s %s: %w\n%s%s", tl.name, strings.Join(args, " "), err, o, e)
		return r
	}
	r.out = normalizeOutput(o)
	for _, s := range []struct {
		tl  tool
		out *string
	}{{ref, &r.refStatus}, {gs, &r.ourStatus}} {
		o, e, err := s.tl.try("admin", "status", "--sysroot="+f.root)
		if err != nil {
			r.err = fmt.Errorf("%s admin status: %w\n%s%s", s.tl.name, err, o, e)
			return r
		}
		*s.out = o
	}
	return r
}

// stepArgs fills in the sysroot of a run.
func stepArgs(args []string, f *fixture) []string {
	if args[0] == "admin" {
		return append(append([]string(nil), args...), "--sysroot="+f.root)
	}
	return append([]string{"--repo=" + f.repo()}, args...)
}

var transferred = regexp.MustCompile(`transferred in \d+ seconds`)

// normalizeOutput drops what depends on the clock.
func normalizeOutput(s string) string {
	return transferred.ReplaceAllString(s, "transferred in N seconds")
}

// deployedImage is a deployment's composefs image, which libostree 2025
// writes on every deploy and the 2022.7 reference, predating composefs,
// never does.
var deployedImage = regexp.MustCompile(`^ostree/deploy/[^/]+/deploy/[^/]+/\.ostree\.cfs$`)

// interopState is sysrootState without the deployments' composefs
// images, so that the reference's sysroots compare with ours.
func interopState(t *testing.T, root string) map[string]string {
	m := sysrootState(t, root)
	for k := range m {
		if deployedImage.MatchString(k) {
			delete(m, k)
		}
	}
	return m
}
