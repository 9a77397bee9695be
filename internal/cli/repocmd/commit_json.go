package repocmd

import (
	"fmt"
	"time"

	"github.com/gostree/gostree/internal/object"
)

// CommitJSON is a commit in the --json output of log and show.
type commitJSON struct {
	Checksum        string `json:"checksum"`
	Parent          string `json:"parent,omitempty"`
	ContentChecksum string `json:"content_checksum"`
	// Timestamp is in seconds since the epoch; Date is the same in RFC
	// 3339, UTC.
	Timestamp    uint64   `json:"timestamp"`
	Date         string   `json:"date"`
	Version      string   `json:"version,omitempty"`
	Subject      string   `json:"subject"`
	Body         string   `json:"body"`
	RootTree     string   `json:"root_tree"`
	RootDirMeta  string   `json:"root_dirmeta"`
	MetadataKeys []string `json:"metadata_keys"`
}

// newCommitJSON describes commit c; it fails on the timestamps the text
// output refuses too.
func newCommitJSON(c object.Checksum, cm *object.Commit) (commitJSON, error) {
	if cm.Timestamp >= 253402300800 {
		return commitJSON{}, fmt.Errorf("Failed to read commit: Invalid timestamp: %d", cm.Timestamp)
	}
	j := commitJSON{
		Checksum:        c.String(),
		ContentChecksum: cm.ContentChecksum().String(),
		Timestamp:       cm.Timestamp,
		Date:            time.Unix(int64(cm.Timestamp), 0).UTC().Format(time.RFC3339),
		Subject:         cm.Subject,
		Body:            cm.Body,
		RootTree:        cm.RootTree.String(),
		RootDirMeta:     cm.RootMeta.String(),
		MetadataKeys:    make([]string, 0, len(cm.Metadata)),
	}
	if !cm.Parent.IsZero() {
		j.Parent = cm.Parent.String()
	}
	if v, ok := cm.Metadata.String("version"); ok {
		j.Version = v
	}
	for _, e := range cm.Metadata {
		j.MetadataKeys = append(j.MetadataKeys, e.Key)
	}
	return j, nil
}
