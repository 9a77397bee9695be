package prepareroot

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
)

// Names the binary answers to; install.sh makes the last two symlinks.
const (
	NamePrepare   = "gostree-prepare-root"
	NameRemount   = "gostree-remount"
	NameGenerator = "gostree-system-generator"
)

const usage = `usage: gostree-prepare-root SYSROOT [CMDLINE]
       gostree-prepare-root remount
       gostree-prepare-root generator NORMAL [EARLY LATE]`

// Main runs the binary with args (os.Args) and returns its exit status.
// Errors are one line on stderr, prefixed with the mode's name.
func Main(args []string, stdout, stderr io.Writer) int {
	return run(args, env{}, stdout, stderr)
}

// env holds the paths Main uses, so that tests can point them elsewhere;
// zero values mean the real system's.
type env struct {
	prepare   Options // Sysroot and Cmdline come from the arguments
	remount   RemountOptions
	generator GeneratorOptions // Cmdline is read from the cmdline file
	cmdline   string           // "/proc/cmdline"
}

func run(args []string, e env, stdout, stderr io.Writer) int {
	if e.cmdline == "" {
		e.cmdline = "/proc/cmdline"
	}
	if len(args) == 0 {
		args = []string{NamePrepare}
	}
	name, rest := NamePrepare, args[1:]
	switch filepath.Base(args[0]) {
	case NameRemount:
		name = NameRemount
	case NameGenerator:
		name = NameGenerator
	default:
		if len(rest) > 0 && (rest[0] == "remount" || rest[0] == "generator") {
			name = map[string]string{"remount": NameRemount, "generator": NameGenerator}[rest[0]]
			rest = rest[1:]
		}
	}
	var err error
	switch name {
	case NameRemount:
		if len(rest) != 0 {
			return fail(stderr, name, usage)
		}
		err = Remount(e.remount)
	case NameGenerator:
		if len(rest) != 1 && len(rest) != 3 {
			return fail(stderr, name, usage)
		}
		o := e.generator
		if o.Cmdline, err = readCmdline(e.cmdline); err == nil {
			err = Generate(o, rest[0])
		}
	default:
		err = runPrepare(rest, e, stdout)
		if errors.Is(err, errUsage) {
			return fail(stderr, name, usage)
		}
	}
	if err != nil {
		return fail(stderr, name, err.Error())
	}
	return 0
}

var errUsage = errors.New("usage")

func runPrepare(args []string, e env, stdout io.Writer) error {
	if len(args) < 1 || len(args) > 2 || strings.HasPrefix(args[0], "-") {
		return errUsage
	}
	o := e.prepare
	o.Sysroot = args[0]
	if len(args) == 2 {
		o.Cmdline = args[1]
	} else {
		var err error
		if o.Cmdline, err = readCmdline(e.cmdline); err != nil {
			return err
		}
	}
	r, err := Prepare(o)
	if err != nil {
		return err
	}
	var notes []string
	switch {
	case r.Composefs && r.Config.Signed:
		notes = append(notes, "composefs, signed")
	case r.Composefs && r.Config.Verity:
		notes = append(notes, "composefs, verity")
	case r.Composefs:
		notes = append(notes, "composefs")
	case r.Config.Composefs == ComposefsMaybe:
		notes = append(notes, "composefs: no image present")
	}
	if r.Config.RootTransient {
		notes = append(notes, "transient /")
	}
	if r.Config.SysrootReadonly {
		notes = append(notes, "sysroot read-only")
	}
	if r.Config.EtcTransient {
		notes = append(notes, "transient /etc")
	}
	if r.VarBound {
		notes = append(notes, "/var bound")
	}
	note := ""
	if len(notes) > 0 {
		note = " (" + strings.Join(notes, ", ") + ")"
	}
	// Concatenated rather than fmt.Fprintf: a successful run executes no
	// fmt code, which a slow (emulated) initramfs would first page in.
	_, _ = io.WriteString(stdout, NamePrepare+": ostree="+r.Target+": "+o.Sysroot+" is now deployment "+r.Deployment.Stateroot+"/"+r.Deployment.Name+note+"\n")
	return nil
}

// readCmdline reads the kernel command line from p, /proc/cmdline.
func readCmdline(p string) (string, error) {
	b, err := readFile(p)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(b)), nil
}

// fail writes msg as one line and returns the exit status 1.
func fail(w io.Writer, name, msg string) int {
	if msg == usage {
		_, _ = io.WriteString(w, usage+"\n")
		return 1
	}
	_, _ = io.WriteString(w, name+": "+strings.ReplaceAll(msg, "\n", " ")+"\n")
	return 1
}
