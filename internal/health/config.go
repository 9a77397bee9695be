package health

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ConfigPath is greenboot's config file, relative to the root.
const ConfigPath = "etc/greenboot/greenboot.conf"

// DefaultTimeout bounds a check when greenboot.conf names no timeout.
const DefaultTimeout = 300 * time.Second

// Config is what gostree reads from greenboot.conf.
type Config struct {
	MaxBootAttempts int                      // GREENBOOT_MAX_BOOT_ATTEMPTS; 0 when unset
	Disabled        []string                 // DISABLED_HEALTHCHECKS, basenames
	Timeout         time.Duration            // GREENBOOT_CHECK_TIMEOUT, or DefaultTimeout
	Timeouts        map[string]time.Duration // GREENBOOT_CHECK_TIMEOUT_<key>, by TimeoutKey
	Warnings        []string                 // values that were ignored, with their line
}

// LoadConfig reads ROOT/etc/greenboot/greenboot.conf; a missing file gives
// the defaults.
func LoadConfig(root string) (Config, error) {
	p := filepath.Join(root, ConfigPath)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return ParseConfig(nil), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("greenboot config: %w", err)
	}
	return ParseConfig(data), nil
}

// TimeoutKey is the suffix naming a check in GREENBOOT_CHECK_TIMEOUT_<key>:
// its basename with every character other than a letter or digit as "_".
func TimeoutKey(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// ParseConfig reads the shell-variable subset greenboot.conf uses:
// KEY=VALUE lines (optionally "export"ed, values optionally quoted),
// KEY=( "a" "b" ) arrays that may span lines, and # comments. Greenboot
// sources the file with bash; anything beyond assignments is ignored, and a
// bad value is reported in Warnings and leaves the default.
func ParseConfig(data []byte) Config {
	c := Config{Timeout: DefaultTimeout, Timeouts: map[string]time.Duration{}}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		lineno := i + 1
		line := strings.TrimSpace(lines[i])
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || !isName(key) {
			continue
		}
		if strings.HasPrefix(val, "(") {
			// An array: read up to the closing parenthesis.
			val = stripComment(val)
			for !strings.Contains(val, ")") && i+1 < len(lines) {
				i++
				val += " " + stripComment(strings.TrimSpace(lines[i]))
			}
			words := shellWords(strings.TrimPrefix(val, "("))
			if key == "DISABLED_HEALTHCHECKS" {
				c.Disabled = words
			}
			continue
		}
		words := shellWords(stripComment(val))
		v := strings.Join(words, " ")
		warn := func(what string) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("line %d: %s=%q: %s", lineno, key, v, what))
		}
		switch {
		case key == "GREENBOOT_MAX_BOOT_ATTEMPTS":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				warn("not a positive number")
				continue
			}
			c.MaxBootAttempts = n
		case key == "GREENBOOT_CHECK_TIMEOUT" || strings.HasPrefix(key, "GREENBOOT_CHECK_TIMEOUT_"):
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				warn("not a positive number of seconds")
				continue
			}
			if key == "GREENBOOT_CHECK_TIMEOUT" {
				c.Timeout = time.Duration(n) * time.Second
			} else {
				c.Timeouts[strings.TrimPrefix(key, "GREENBOOT_CHECK_TIMEOUT_")] = time.Duration(n) * time.Second
			}
		}
	}
	return c
}

// IsDisabled reports whether DISABLED_HEALTHCHECKS names the check.
func (c *Config) IsDisabled(name string) bool {
	return slices.Contains(c.Disabled, name)
}

func isName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// stripComment drops an unquoted "#" that starts a word, and what follows.
func stripComment(s string) string {
	var quote rune
	prevSpace := true
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && prevSpace:
			return s[:i]
		}
		prevSpace = r == ' ' || r == '\t' || r == '('
	}
	return s
}

// shellWords splits on unquoted blanks, removes quotes, and stops at ")".
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ')':
			if inWord {
				words = append(words, cur.String())
			}
			return words
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
