package clikit

import (
	"fmt"
	"strconv"
	"strings"
)

// Option is one command-line option, parsed the way GLib's GOption does:
// --long=VALUE, --long VALUE, -s VALUE, grouped short booleans (-UH),
// options anywhere among the arguments, and -- to end them.
type Option struct {
	Long  string
	Short byte
	Arg   string // argument placeholder for help; "" for a flag
	Desc  string
	// Exactly one destination is set.
	Bool   *bool
	Str    *string
	Strs   *[]string
	Int    *int
	Int64  *int64
	Func   func(string) error // called for each occurrence
	Hidden bool               // hidden from help, as in libostree
	// Own marks gostree's own options: accepted under either name,
	// listed only when invoked as gostree.
	Own bool
	set bool
}

func (o *Option) takesArg() bool { return o.Bool == nil }

func (o *Option) apply(name, val string) error {
	o.set = true
	switch {
	case o.Bool != nil:
		*o.Bool = true
	case o.Str != nil:
		*o.Str = val
	case o.Strs != nil:
		*o.Strs = append(*o.Strs, val)
	case o.Int != nil:
		n, err := strconv.ParseInt(val, 0, 0)
		if err != nil {
			return fmt.Errorf("Cannot parse integer value “%s” for %s", val, name)
		}
		*o.Int = int(n)
	case o.Int64 != nil:
		n, err := strconv.ParseInt(val, 0, 64)
		if err != nil {
			return fmt.Errorf("Cannot parse integer value “%s” for %s", val, name)
		}
		*o.Int64 = n
	case o.Func != nil:
		return o.Func(val)
	}
	return nil
}

// parseArgs applies options to their destinations and returns the
// positional arguments. help reports -h/--help.
func parseArgs(opts []*Option, args []string) (pos []string, help bool, err error) {
	byLong := map[string]*Option{}
	byShort := map[byte]*Option{}
	for _, o := range opts {
		if o.Long != "" {
			byLong[o.Long] = o
		}
		if o.Short != 0 {
			byShort[o.Short] = o
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), help, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			if name == "help" {
				help = true
				continue
			}
			o := byLong[name]
			if o == nil {
				return nil, false, fmt.Errorf("Unknown option %s", a)
			}
			if !o.takesArg() {
				// GOption accepts --flag=VALUE for a flag and ignores the
				// value: --gpg-verify=false still turns it on.
				_ = o.apply("--"+name, "")
				continue
			}
			if !hasVal {
				if i+1 >= len(args) {
					return nil, false, fmt.Errorf("Missing argument for --%s", name)
				}
				i++
				val = args[i]
			}
			if err := o.apply("--"+name, val); err != nil {
				return nil, false, err
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				if c == 'h' || c == '?' {
					help = true
					continue
				}
				o := byShort[c]
				if o == nil {
					return nil, false, fmt.Errorf("Unknown option -%c", c)
				}
				if !o.takesArg() {
					_ = o.apply("-"+string(c), "")
					continue
				}
				var val string
				if j+1 < len(a) {
					val = a[j+1:]
				} else {
					if i+1 >= len(args) {
						return nil, false, fmt.Errorf("Missing argument for -%c", c)
					}
					i++
					val = args[i]
				}
				if err := o.apply("-"+string(c), val); err != nil {
					return nil, false, err
				}
				break
			}
		default:
			pos = append(pos, a)
		}
	}
	return pos, help, nil
}

// optionLabel is the option as help prints it, without indentation.
func optionLabel(o *Option) string {
	s := "--" + o.Long
	if o.Short != 0 {
		s = "-" + string(o.Short) + ", " + s
	}
	if o.Arg != "" {
		s += "=" + o.Arg
	}
	return s
}

// optionWidth is GLib's measure of an option for column alignment.
func optionWidth(o *Option) int {
	n := len([]rune(o.Long))
	if o.Short != 0 {
		n += 4
	}
	if o.Arg != "" {
		n += 1 + len([]rune(o.Arg))
	}
	return n
}

// dedupeShorts drops a short name already taken by an earlier option, as
// GOption does: `summary -v` is --view, and --verbose loses its -v.
func dedupeShorts(opts []*Option) []*Option {
	seen := map[byte]bool{}
	for _, o := range opts {
		if o.Short == 0 {
			continue
		}
		if seen[o.Short] {
			o.Short = 0
			continue
		}
		seen[o.Short] = true
	}
	return opts
}
