package boot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tools lists the host programs the harness runs; scripts/boot-deps.sh
// installs them.
var Tools = []string{
	"qemu-system-x86_64", "busybox", "apt-get", "apt-cache", "dpkg-deb", "tar",
	"xz", "cpio", "gzip", "mkfs.ext4", "e2fsck", "debugfs", "dumpe2fs", "grub-mkrescue",
	"grub-editenv", "xorriso", "mount", "umount", "go",
}

// MissingTools returns the tools from Tools that are not on PATH.
func MissingTools() []string {
	var miss []string
	for _, t := range Tools {
		if _, err := exec.LookPath(t); err != nil {
			miss = append(miss, t)
		}
	}
	return miss
}

// CacheDir is where fetched and built pieces are kept between runs:
// $GOSTREE_BOOT_CACHE, else ~/.cache/gostree-boot.
func CacheDir() (string, error) {
	if d := os.Getenv("GOSTREE_BOOT_CACHE"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("boot cache: %w", err)
	}
	return filepath.Join(home, ".cache", "gostree-boot"), nil
}

// run runs a command and returns its stdout; the error carries the command
// line and the tail of stderr.
func run(ctx context.Context, dir string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, tail(errb.String()+out.String(), 20))
	}
	return out.String(), nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// DebianMirror reads the Debian mirror URL from the machine's apt sources
// (deb822 .sources files first, then sources.list), so that no mirror is
// written into the repository.
func DebianMirror() (string, error) {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			if u := mirrorFromSources(string(b)); u != "" {
				return u, nil
			}
		}
	}
	if b, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		if u := mirrorFromList(string(b)); u != "" {
			return u, nil
		}
	}
	return "", fmt.Errorf("no bookworm Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list")
}

// mirrorFromSources returns the first URI of a deb822 stanza whose suites
// include bookworm, or "".
func mirrorFromSources(text string) string {
	var uri string
	isMain := false
	for _, l := range strings.Split(text+"\n\n", "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
			if uri != "" && isMain {
				return uri
			}
			uri, isMain = "", false
		case strings.HasPrefix(l, "URIs:"):
			if fs := strings.Fields(strings.TrimPrefix(l, "URIs:")); len(fs) > 0 {
				uri = fs[0]
			}
		case strings.HasPrefix(l, "Suites:"):
			for _, s := range strings.Fields(strings.TrimPrefix(l, "Suites:")) {
				isMain = isMain || s == "bookworm"
			}
		}
	}
	return ""
}

// mirrorFromList returns the URI of the first one-line "deb" source for
// bookworm (options in [...] skipped), or "".
func mirrorFromList(text string) string {
	for _, l := range strings.Split(text, "\n") {
		fs := strings.Fields(l)
		if len(fs) < 3 || fs[0] != "deb" {
			continue
		}
		i := 1
		if strings.HasPrefix(fs[i], "[") {
			for i < len(fs) && !strings.HasSuffix(fs[i], "]") {
				i++
			}
			i++
		}
		if i+1 < len(fs) && fs[i+1] == "bookworm" {
			return fs[i]
		}
	}
	return ""
}
