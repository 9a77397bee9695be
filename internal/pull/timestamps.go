package pull

import "github.com/gostree/gostree/internal/object"

// CheckTimestamps refuses moving from commit cur to the older commit next,
// with libostree's "chronologically older" error (the sysroot upgrader
// checks this after pulling).
func CheckTimestamps(cur object.Checksum, curTS uint64, next object.Checksum, nextTS uint64) error {
	return compareTimestamps(cur, curTS, next, nextTS)
}
