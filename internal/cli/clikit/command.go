package clikit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/repo"
)

// Command is one node of the command tree.
type Command struct {
	Name    string
	Summary string
	Usage   string // what follows "[OPTION…]" in the usage line
	Hidden  bool   // hidden from help, as in libostree
	// Own marks gostree's own commands: runnable under either name,
	// listed only when invoked as gostree, so that `ostree --help` stays
	// the reference's.
	Own    bool
	NoRepo bool // no --repo option
	// BootedOnly commands (libostree's internal service commands) exit
	// 0 at once outside a booted system, before reading their options.
	BootedOnly bool
	// Bare is static-delta's hand-written help: the usage line with
	// "[OPTION...]" and the command list, nothing else.
	Bare bool
	// Sysroot adds the admin options --sysroot and --print-current-dir.
	Sysroot bool
	// ColWidth is the name column width of the subcommand list (17 when 0).
	ColWidth int
	// Setup binds the command's options to fresh variables and returns
	// them with the function that runs the command.
	Setup func(c *Invocation) func(args []string) error
	Sub   []*Command
}

// Invocation is the state of one command run: where output goes, the
// parsed global options and the command's own options.
type Invocation struct {
	Ctx    context.Context
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	Path   string // "ostree commit"
	// Gostree is set when invoked under a name other than ostree: help
	// then lists our own commands and options too.
	Gostree bool
	RepoArg string
	Verbose bool
	// SysrootArg and PrintCurrentDir are the admin options.
	SysrootArg      string
	PrintCurrentDir bool
	Options         []*Option
	Env             func(string) string
}

// Flag declares a boolean option.
func (in *Invocation) Flag(long string, short byte, desc string, dst *bool) {
	in.Options = append(in.Options, &Option{Long: long, Short: short, Desc: desc, Bool: dst})
}

// String declares a string option.
func (in *Invocation) String(long string, short byte, arg, desc string, dst *string) {
	in.Options = append(in.Options, &Option{Long: long, Short: short, Arg: arg, Desc: desc, Str: dst})
}

// Strings declares a repeatable string option.
func (in *Invocation) Strings(long string, short byte, arg, desc string, dst *[]string) {
	in.Options = append(in.Options, &Option{Long: long, Short: short, Arg: arg, Desc: desc, Strs: dst})
}

// Int declares an integer option.
func (in *Invocation) Int(long string, short byte, arg, desc string, dst *int) {
	in.Options = append(in.Options, &Option{Long: long, Short: short, Arg: arg, Desc: desc, Int: dst})
}

// OwnFlag declares a boolean option of gostree's own, which help lists
// only when invoked as gostree.
func (in *Invocation) OwnFlag(long string, short byte, desc string, dst *bool) {
	in.Options = append(in.Options, &Option{Long: long, Short: short, Desc: desc, Bool: dst, Own: true})
}

// OwnString declares a string option of gostree's own.
func (in *Invocation) OwnString(long string, short byte, arg, desc string, dst *string) {
	in.Options = append(in.Options, &Option{Long: long, Short: short, Arg: arg, Desc: desc, Str: dst, Own: true})
}

// Printf writes to stdout.
func (in *Invocation) Printf(format string, args ...any) {
	fmt.Fprintf(in.Stdout, format, args...)
}

// OpenRepo opens the repository named by --repo, $OSTREE_REPO, the
// current directory, or /sysroot/ostree/repo.
func (in *Invocation) OpenRepo() (*repo.Repo, error) {
	p := in.RepoArg
	if p == "" {
		p = in.defaultRepoPath()
		if _, err := os.Stat(filepath.Join(p, "config")); err != nil {
			return nil, UsageError{Msg: "Command requires a --repo argument", Bare: true}
		}
	}
	return repo.Open(in.Ctx, p)
}

// defaultRepoPath is where libostree looks without --repo: the current
// directory when it is a repository, else $OSTREE_REPO, else the system
// repository of $OSTREE_SYSROOT (or /).
func (in *Invocation) defaultRepoPath() string {
	if fi, err := os.Stat("objects"); err == nil && fi.IsDir() {
		if fi, err := os.Stat("config"); err == nil && fi.Mode().IsRegular() {
			return "."
		}
	}
	if p := in.Env("OSTREE_REPO"); p != "" {
		return p
	}
	root := in.Env("OSTREE_SYSROOT")
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, "ostree/repo")
}

// UsageError is printed after the command's help text and, as
// ot_util_usage_error prints it, a blank line; bare leaves the blank line
// out, as the missing --repo error does.
type UsageError struct {
	Msg  string
	Bare bool
}

func (e UsageError) Error() string { return e.Msg }

// Usage makes an error that prints the command's usage first.
func Usage(format string, args ...any) error {
	return UsageError{Msg: fmt.Sprintf(format, args...)}
}

func (c *Command) visibleSubs(own bool) []*Command {
	var out []*Command
	for _, s := range c.Sub {
		if !s.Hidden && (own || !s.Own) {
			out = append(out, s)
		}
	}
	return out
}

func (c *Command) find(name string) *Command {
	for _, s := range c.Sub {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// commonOptions are listed after each command's own options.
func commonOptions(in *Invocation, withRepo bool, version *bool) []*Option {
	var out []*Option
	if withRepo {
		out = append(out, &Option{Long: "repo", Arg: "PATH", Desc: "Path to OSTree repository (defaults to current directory or /sysroot/ostree/repo)", Str: &in.RepoArg})
	}
	return out
}

// sysrootOptions are the admin commands' global options, listed first.
func sysrootOptions(in *Invocation, c *Command) []*Option {
	if !c.Sysroot {
		return nil
	}
	return []*Option{
		{Long: "sysroot", Arg: "PATH", Desc: "Create a new OSTree sysroot at PATH", Str: &in.SysrootArg},
		{Long: "print-current-dir", Desc: "Print the current deployment directory", Bool: &in.PrintCurrentDir, Hidden: true},
	}
}

func tailOptions(in *Invocation, version *bool) []*Option {
	return []*Option{
		{Long: "verbose", Short: 'v', Desc: "Print debug information during command processing", Bool: &in.Verbose},
		{Long: "version", Desc: "Print version information and exit", Bool: version},
	}
}

// helpText renders GLib-style help for a command. prog is the program
// name that starts path; own lists our own commands and options.
func helpText(prog, path string, c *Command, opts []*Option, top, own bool) string {
	var b strings.Builder
	dots := "[OPTION…]"
	if c.Bare {
		dots = "[OPTION...]"
	}
	b.WriteString("Usage:\n  " + path + " " + dots)
	switch {
	case len(c.Sub) > 0 && c.Usage != "":
		b.WriteString(" " + c.Usage)
	case len(c.Sub) > 0:
		b.WriteString(" COMMAND")
	case c.Usage != "":
		b.WriteString(" " + c.Usage)
	}
	b.WriteString("\n\n")
	if !top && !c.Bare && c.Summary != "" {
		b.WriteString(c.Summary + "\n\n")
	}
	if len(c.Sub) > 0 {
		if top {
			b.WriteString("Builtin Commands:\n")
		} else {
			fmt.Fprintf(&b, "Builtin \"%s\" Commands:\n", strings.TrimPrefix(path, prog+" "))
		}
		w := c.ColWidth
		if w == 0 {
			w = 17
		}
		for _, s := range c.visibleSubs(own) {
			fmt.Fprintf(&b, "  %-*s %s\n", w, s.Name, s.Summary)
		}
		b.WriteString("\n")
		if c.Bare {
			return b.String()
		}
	}
	shown := func(o *Option) bool { return !o.Hidden && (own || !o.Own) }
	width := len("-?, --help")
	for _, o := range opts {
		if shown(o) {
			width = max(width, optionWidth(o))
		}
	}
	width += 4
	line := func(label, desc string) {
		fmt.Fprintf(&b, "  %-*s %s\n", width+2, label, desc)
	}
	b.WriteString("Help Options:\n")
	line("-h, --help", "Show help options")
	b.WriteString("\nApplication Options:\n")
	for _, o := range opts {
		if shown(o) {
			line(optionLabel(o), o.Desc)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// Run runs the command tree root invoked as prog with args (without the
// program name) and returns the exit status. extension runs an unknown
// top-level command as an external program (reporting whether it found
// one); printVersion answers --version.
func Run(ctx context.Context, root *Command, prog string, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string,
	extension func(ctx context.Context, name string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, bool),
	printVersion func(io.Writer) int) int {
	own := prog != "ostree"
	if own {
		prog = "gostree"
	}
	path := prog
	c := root
	in := &Invocation{Ctx: ctx, Stdout: stdout, Stderr: stderr, Stdin: stdin, Env: getenv, Gostree: own}
	var version bool
	origArgs := args
	// Walk down the command tree: options may precede the command name.
	var leading []string
	for {
		idx := -1
		for i, a := range args {
			if a == "--" {
				break
			}
			if !strings.HasPrefix(a, "-") || a == "-" {
				idx = i
				break
			}
			// An option taking a separate value hides the next word.
			if (a == "--repo" || a == "--sysroot") && i+1 < len(args) {
				continue
			}
		}
		if len(c.Sub) == 0 {
			break
		}
		if idx < 0 {
			opts := append(commonOptions(in, false, &version), sysrootOptions(in, c)...)
			opts = append(opts, tailOptions(in, &version)...)
			_, help, err := parseArgs(opts, append(leading, args...))
			if err != nil {
				fmt.Fprintf(stderr, "error: %s\n", err)
				return 1
			}
			if in.PrintCurrentDir && c.Sysroot && !help {
				return runPrintCurrentDir(in)
			}
			if version && c == root {
				return printVersion(stdout)
			}
			if help {
				io.WriteString(stdout, helpText(prog, path, c, opts, c == root, own))
				return 0
			}
			io.WriteString(stderr, helpText(prog, path, c, opts, c == root, own))
			if c == root || c.Bare {
				fmt.Fprintf(stderr, "error: No command specified\n")
			} else {
				fmt.Fprintf(stderr, "error: No \"%s\" subcommand specified\n", strings.TrimPrefix(path, prog+" "))
			}
			return 1
		}
		name := args[idx]
		leading = append(leading, args[:idx]...)
		args = args[idx+1:]
		sub := c.find(name)
		if sub == nil {
			if c == root {
				if code, ok := extension(ctx, name, origArgs, stdin, stdout, stderr); ok {
					return code
				}
			}
			opts := append(commonOptions(in, false, &version), sysrootOptions(in, c)...)
			opts = append(opts, tailOptions(in, &version)...)
			io.WriteString(stderr, helpText(prog, path, c, opts, c == root, own))
			if c == root {
				fmt.Fprintf(stderr, "error: Unknown command '%s'\n", name)
			} else {
				fmt.Fprintf(stderr, "error: Unknown \"%s\" subcommand '%s'\n", strings.TrimPrefix(path, prog+" "), name)
			}
			return 1
		}
		c = sub
		path += " " + name
	}
	in.Path = path
	if c.BootedOnly && !HostBooted() {
		return 0
	}
	run := c.Setup(in)
	opts := append(append([]*Option{}, commonOptions(in, !c.NoRepo, &version)...), sysrootOptions(in, c)...)
	opts = append(opts, in.Options...)
	opts = dedupeShorts(append(opts, tailOptions(in, &version)...))
	pos, help, err := parseArgs(opts, append(leading, args...))
	if err != nil {
		fmt.Fprintf(stderr, "error: %s\n", err)
		return 1
	}
	if help {
		io.WriteString(stdout, helpText(prog, path, c, opts, false, own))
		return 0
	}
	if version {
		return printVersion(stdout)
	}
	if in.PrintCurrentDir && c.Sysroot {
		return runPrintCurrentDir(in)
	}
	if err := run(pos); err != nil {
		var ue UsageError
		if errors.As(err, &ue) {
			io.WriteString(stderr, helpText(prog, path, c, opts, false, own))
			if !ue.Bare {
				io.WriteString(stderr, "\n")
			}
		}
		var ee ExitError
		if errors.As(err, &ee) {
			if ee.Msg != "" {
				fmt.Fprintf(stderr, "error: %s\n", ee.Msg)
			}
			return ee.Code
		}
		fmt.Fprintf(stderr, "error: %s\n", ErrorText(err))
		return 1
	}
	return 0
}

// ExitError ends a command with a specific status, optionally silently.
type ExitError struct {
	Code int
	Msg  string
}

func (e ExitError) Error() string { return e.Msg }

// ErrorText is the message printed after "error: ".
func ErrorText(err error) string {
	s := err.Error()
	// Sentinels classify for callers; they are noise in messages.
	for _, e := range []error{errdefs.ErrNotFound, errdefs.ErrInvalid, errdefs.ErrCorrupt, errdefs.ErrExists} {
		s = strings.TrimSuffix(s, ": "+e.Error())
	}
	return glibcErrnoText(s)
}

// SortedKeys is m's keys in order, for stable output.
func SortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
