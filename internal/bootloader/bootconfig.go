package bootloader

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Config is one BLS entry. Keys keep the order they were read or set in;
// a second `initrd` line is an overlay initrd, as in libostree.
type Config struct {
	keys           []string
	values         map[string]string
	OverlayInitrds []string
	// File is the base name LoadConfig read the entry from ("" for an
	// entry built in memory): its counter and naming scheme live there.
	File string
}

// NewConfig returns an empty entry.
func NewConfig() *Config { return &Config{values: map[string]string{}} }

// ParseConfig parses the text of an entry: lines that start with a letter
// are "key value" split at the first space or tab; other lines, and lines
// without a value, are ignored.
func ParseConfig(data []byte) *Config {
	c := NewConfig()
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || !isASCIIAlpha(line[0]) {
			continue
		}
		i := strings.IndexAny(line, " \t")
		if i <= 0 {
			continue
		}
		k, v := line[:i], line[i+1:]
		if k == "initrd" {
			if _, ok := c.values["initrd"]; ok {
				c.OverlayInitrds = append(c.OverlayInitrds, v)
				continue
			}
		}
		c.Set(k, v)
	}
	return c
}

// LoadConfig reads and parses the entry at path.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := ParseConfig(b)
	c.File = filepath.Base(path)
	return c, nil
}

func isASCIIAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// Get returns the value of key and whether it is set.
func (c *Config) Get(key string) (string, bool) {
	v, ok := c.values[key]
	return v, ok
}

// Value returns the value of key, or "".
func (c *Config) Value(key string) string { return c.values[key] }

// Set sets key, keeping its position when it already exists.
func (c *Config) Set(key, value string) {
	if _, ok := c.values[key]; !ok {
		c.keys = append(c.keys, key)
	}
	c.values[key] = value
}

// Delete removes key.
func (c *Config) Delete(key string) {
	if _, ok := c.values[key]; !ok {
		return
	}
	delete(c.values, key)
	for i, k := range c.keys {
		if k == key {
			c.keys = append(c.keys[:i], c.keys[i+1:]...)
			break
		}
	}
}

// Keys returns the keys in order.
func (c *Config) Keys() []string { return append([]string(nil), c.keys...) }

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	n := NewConfig()
	for _, k := range c.keys {
		n.Set(k, c.values[k])
	}
	n.OverlayInitrds = append([]string(nil), c.OverlayInitrds...)
	return n
}

// wellKnown is the order libostree writes the fields in (the example of
// the Boot Loader Specification); other keys follow.
var wellKnown = []string{"title", "version", "options", "devicetree", "linux", "initrd"}

// Marshal returns the entry text.
func (c *Config) Marshal() ([]byte, error) {
	var b strings.Builder
	written := map[string]bool{}
	for _, k := range wellKnown {
		if v, ok := c.values[k]; ok {
			fmt.Fprintf(&b, "%s %s\n", k, v)
			written[k] = true
		}
	}
	if len(c.OverlayInitrds) > 0 {
		if !written["initrd"] {
			return nil, fmt.Errorf("boot entry has overlay initrds but no initrd")
		}
		for _, v := range c.OverlayInitrds {
			fmt.Fprintf(&b, "initrd %s\n", v)
		}
	}
	for _, k := range c.keys {
		if !written[k] {
			fmt.Fprintf(&b, "%s %s\n", k, c.values[k])
		}
	}
	return []byte(b.String()), nil
}
