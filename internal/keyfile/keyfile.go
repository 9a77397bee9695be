package keyfile

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// File is a key file. The zero value is an empty file, ready to use.
// A File is not safe for concurrent use when any goroutine modifies it.
//
// A File is in one of two modes. A File from Parse keeps comment and blank
// lines, including the blank lines between groups, and writes them back as
// they are (G_KEY_FILE_KEEP_COMMENTS). A File from New or StripComments
// holds only groups and keys, and Bytes puts a blank line between groups,
// as g_key_file_to_data does in GLib 2.74 (flags 0, libostree's way).
type File struct {
	keep   bool     // comment mode: set by Parse, cleared by StripComments
	top    []string // comment and blank lines before the first group
	groups []*group
	index  map[string]*group
}

type group struct {
	name  string
	lines []line
}

// line is a key-value pair, or a comment or blank line when key is empty.
// Keys are never empty, so the two cannot be confused.
type line struct {
	key   string
	value string // raw value, or the whole comment line
}

// New returns an empty File.
func New() *File { return &File{} }

// Bytes returns the file in the format of g_key_file_to_data: each group as
// "[name]\n" followed by its lines, each ending in "\n".
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	for _, c := range f.top {
		b.WriteString(c)
		b.WriteByte('\n')
	}
	for i, g := range f.groups {
		if i > 0 && !f.keep {
			b.WriteByte('\n')
		}
		b.WriteByte('[')
		b.WriteString(g.name)
		b.WriteString("]\n")
		for _, l := range g.lines {
			if l.key != "" {
				b.WriteString(l.key)
				b.WriteByte('=')
			}
			b.WriteString(l.value)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// Groups returns the group names in file order.
func (f *File) Groups() []string {
	var names []string
	for _, g := range f.groups {
		names = append(names, g.name)
	}
	return names
}

// HasGroup reports whether the file has the group.
func (f *File) HasGroup(group string) bool { return f.index[group] != nil }

// Keys returns the keys of group in file order, each once, or nil if the
// group does not exist.
func (f *File) Keys(group string) []string {
	g := f.index[group]
	if g == nil {
		return nil
	}
	var keys []string
	seen := make(map[string]bool)
	for _, l := range g.lines {
		if l.key != "" && !seen[l.key] {
			seen[l.key] = true
			keys = append(keys, l.key)
		}
	}
	return keys
}

// Has reports whether group has key.
func (f *File) Has(group, key string) bool {
	_, ok := f.Value(group, key)
	return ok
}

// Value returns the raw value of key in group, without unescaping. When a
// group repeats a key, the last one wins, as in GLib.
func (f *File) Value(group, key string) (string, bool) {
	g := f.index[group]
	if g == nil {
		return "", false
	}
	i := g.find(key)
	if i < 0 {
		return "", false
	}
	return g.lines[i].value, true
}

// SetValue sets the raw value of key in group, writing it without escaping;
// use SetString for text that may need escapes. It replaces an existing
// value in place. A new key goes after the last key of the group, and a new
// group goes at the end of the file.
//
// SetValue panics if the group or key name is not valid (see ValidGroupName
// and ValidKeyName) or raw contains a newline or NUL byte: like GLib's
// g_return_if_fail checks, these are programming errors.
func (f *File) SetValue(group, key, raw string) {
	if strings.ContainsAny(raw, "\n\x00") {
		panic(fmt.Sprintf("keyfile: raw value %q for key %q in group %q contains a newline or nul byte", raw, key, group))
	}
	f.set(group, key, raw)
}

func (f *File) set(group, key, raw string) {
	if !ValidGroupName(group) {
		panic(fmt.Sprintf("keyfile: invalid group name %q", group))
	}
	if !ValidKeyName(key) {
		panic(fmt.Sprintf("keyfile: invalid key name %q in group %q", key, group))
	}
	g := f.index[group]
	if g == nil {
		g = f.createGroup(group)
		g.lines = append(g.lines, line{key, raw})
		return
	}
	if i := g.find(key); i >= 0 {
		g.lines[i].value = raw
		return
	}
	// After the last key, so that comments and blank lines at the end of
	// the group stay above the next group (GLib 2.77.1, commit 51dfb3c2).
	// A group without keys gets the key right below its header.
	at := 0
	for i, l := range g.lines {
		if l.key != "" {
			at = i + 1
		}
	}
	g.lines = slices.Insert(g.lines, at, line{key, raw})
}

// createGroup appends a new group for the Set methods. In comment mode, as
// g_key_file_add_group does since GLib 2.77, it first separates the new
// group from the previous one with a blank line, unless the previous group
// already ends in a comment or blank line. (Without comments, Bytes adds
// the separators.)
func (f *File) createGroup(name string) *group {
	if n := len(f.groups); n > 0 && f.keep {
		prev := f.groups[n-1]
		if k := len(prev.lines); k == 0 || prev.lines[k-1].key != "" {
			prev.lines = append(prev.lines, line{})
		}
	}
	return f.addGroup(name)
}

// addGroup appends a group, without any separator.
func (f *File) addGroup(name string) *group {
	g := &group{name: name}
	f.groups = append(f.groups, g)
	if f.index == nil {
		f.index = make(map[string]*group)
	}
	f.index[name] = g
	return g
}

// RemoveKey removes key from group and reports whether it was there. Every
// line with that key goes: unlike GLib, which leaves earlier duplicates of
// a key in the file, so that they would come back on the next load.
func (f *File) RemoveKey(group, key string) bool {
	g := f.index[group]
	if g == nil {
		return false
	}
	n := len(g.lines)
	g.lines = slices.DeleteFunc(g.lines, func(l line) bool { return l.key == key })
	return len(g.lines) != n
}

// RemoveGroup removes the group name, with its keys and the comment and
// blank lines below it, and reports whether it was there. A blank line
// above the group stays, as in GLib.
func (f *File) RemoveGroup(name string) bool {
	g := f.index[name]
	if g == nil {
		return false
	}
	delete(f.index, name)
	f.groups = slices.DeleteFunc(f.groups, func(x *group) bool { return x == g })
	return true
}

// StripComments removes every comment and blank line, and switches the
// file to the mode of New: the file GLib holds after loading without
// G_KEY_FILE_KEEP_COMMENTS, as libostree loads the repo config, remotes
// and origins. After StripComments, Bytes, Set and Remove calls give what
// libostree 2022.7 with GLib 2.74 writes.
func (f *File) StripComments() {
	f.keep = false
	f.top = nil
	for _, g := range f.groups {
		g.lines = slices.DeleteFunc(g.lines, func(l line) bool { return l.key == "" })
	}
}

// find returns the index of the last line holding key, or -1.
func (g *group) find(key string) int {
	for i := len(g.lines) - 1; i >= 0; i-- {
		if g.lines[i].key == key {
			return i
		}
	}
	return -1
}
