package bootloader

import (
	"fmt"
	"os"
	"strings"
)

// KernelArgs is a kernel command line as libostree models it: an ordered
// list of key or key=value arguments where a key may repeat.
type KernelArgs struct {
	order []*karg
}

type karg struct {
	key   string
	value *string // nil for a bare key, "" for "key="
}

// ParseKernelArgs splits a command line as libostree does (see
// splitArgs).
func ParseKernelArgs(s string) *KernelArgs {
	k := &KernelArgs{}
	k.AppendString(s)
	return k
}

// AppendString appends every space-separated argument of s.
func (k *KernelArgs) AppendString(s string) {
	for _, a := range splitArgs(s) {
		k.appendOne(a)
	}
}

// splitArgs splits at single spaces outside double quotes, after skipping
// leading spaces, as libostree does since 2024 (test="1 2" is one
// argument); an unterminated quote runs to the end.
func splitArgs(s string) []string {
	s = strings.TrimLeft(s, " ")
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == ' ' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func splitKeyEq(arg string) (string, *string) {
	i := strings.IndexByte(arg, '=')
	if i < 0 {
		return arg, nil
	}
	v := arg[i+1:]
	return arg[:i], &v
}

func (k *KernelArgs) entries(key string) []int {
	var idx []int
	for i, e := range k.order {
		if e.key == key {
			idx = append(idx, i)
		}
	}
	return idx
}

// Append adds each argument of arg at the end, even when its key is
// already present.
func (k *KernelArgs) Append(arg string) { k.AppendString(arg) }

func (k *KernelArgs) appendOne(arg string) {
	key, v := splitKeyEq(arg)
	k.order = append(k.order, &karg{key, v})
}

// AppendIfMissing appends arg unless its key is present.
func (k *KernelArgs) AppendIfMissing(arg string) {
	if !k.Contains(arg) {
		k.Append(arg)
	}
}

// Contains reports whether the key of arg is present.
func (k *KernelArgs) Contains(arg string) bool {
	key, _ := splitKeyEq(arg)
	return len(k.entries(key)) > 0
}

// Replace sets the key of arg to its value alone: every existing entry of
// the key is dropped and the new one takes the place of the first.
func (k *KernelArgs) Replace(arg string) {
	key, v := splitKeyEq(arg)
	idx := k.entries(key)
	if len(idx) == 0 {
		k.order = append(k.order, &karg{key, v})
		return
	}
	first := idx[0]
	var out []*karg
	for i, e := range k.order {
		if i == first {
			out = append(out, &karg{key, v})
		}
		if e.key != key {
			out = append(out, e)
		}
	}
	k.order = out
}

// NewReplace is `--karg-replace`: KEY=VALUE replaces the single value of
// KEY; KEY=OLD=NEW replaces the value OLD.
func (k *KernelArgs) NewReplace(arg string) error {
	for _, a := range splitArgs(arg) {
		if err := k.newReplaceOne(a); err != nil {
			return err
		}
	}
	return nil
}

func (k *KernelArgs) newReplaceOne(arg string) error {
	key, v := splitKeyEq(arg)
	idx := k.entries(key)
	if len(idx) == 0 {
		return fmt.Errorf("No key '%s' found", key)
	}
	if v != nil && strings.Contains(*v, "=") {
		oldVal, newVal := splitKeyEq(*v)
		for _, i := range idx {
			if e := k.order[i]; e.value != nil && *e.value == oldVal {
				e.value = newVal
				return nil
			}
		}
		return fmt.Errorf("No karg '%s=%s' found", key, oldVal)
	}
	if len(idx) > 1 {
		return fmt.Errorf("Multiple values for key '%s' found", key)
	}
	k.order[idx[0]].value = v
	return nil
}

// Delete removes arg: a bare KEY when it has one entry, or the entry whose
// value matches.
func (k *KernelArgs) Delete(arg string) error {
	for _, a := range splitArgs(arg) {
		if err := k.deleteOne(a); err != nil {
			return err
		}
	}
	return nil
}

func (k *KernelArgs) deleteOne(arg string) error {
	key, v := splitKeyEq(arg)
	idx := k.entries(key)
	if len(idx) == 0 {
		return fmt.Errorf("No key '%s' found", key)
	}
	if len(idx) == 1 {
		e := k.order[idx[0]]
		if v != nil && !equalValue(e.value, v) {
			return fmt.Errorf("No karg '%s=%s' found", key, *v)
		}
		k.DeleteKey(key)
		return nil
	}
	for _, i := range idx {
		if equalValue(k.order[i].value, v) {
			k.order = append(k.order[:i], k.order[i+1:]...)
			return nil
		}
	}
	if v == nil {
		return fmt.Errorf("Multiple values for key '%s' found", arg)
	}
	return fmt.Errorf("No karg '%s' found", arg)
}

// DeleteIfPresent deletes arg when its key is present.
func (k *KernelArgs) DeleteIfPresent(arg string) error {
	if k.Contains(arg) {
		return k.Delete(arg)
	}
	return nil
}

// DeleteKey removes every entry of key.
func (k *KernelArgs) DeleteKey(key string) {
	var out []*karg
	for _, e := range k.order {
		if e.key != key {
			out = append(out, e)
		}
	}
	k.order = out
}

func equalValue(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// LastValue returns the value of the last entry of key.
func (k *KernelArgs) LastValue(key string) (string, bool) {
	idx := k.entries(key)
	if len(idx) == 0 {
		return "", false
	}
	v := k.order[idx[len(idx)-1]].value
	if v == nil {
		return "", true
	}
	return *v, true
}

// Strings returns the arguments in order.
func (k *KernelArgs) Strings() []string {
	out := make([]string, 0, len(k.order))
	for _, e := range k.order {
		if e.value == nil {
			out = append(out, e.key)
		} else {
			out = append(out, e.key+"="+*e.value)
		}
	}
	return out
}

// String returns the command line.
func (k *KernelArgs) String() string { return strings.Join(k.Strings(), " ") }

// procCmdlineSkip are the prefixes libostree drops when it copies
// /proc/cmdline: arguments bootloaders add themselves.
var procCmdlineSkip = []string{"BOOT_IMAGE=", "initrd="}

// AppendProcCmdline appends the running kernel's arguments, as
// `--karg-proc-cmdline` does.
func (k *KernelArgs) AppendProcCmdline() error {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return err
	}
	s := strings.TrimRight(string(b), " \t\n\r")
	for _, a := range splitArgs(s) {
		skip := false
		for _, p := range procCmdlineSkip {
			if strings.HasPrefix(a, p) {
				skip = true
			}
		}
		if !skip {
			k.appendOne(a)
		}
	}
	return nil
}
