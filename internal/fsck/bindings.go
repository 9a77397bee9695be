package fsck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gostree/gostree/internal/object"
)

// Commit metadata keys that bind a commit to refs and a collection.
const (
	KeyRefBinding        = "ostree.ref-binding"
	KeyCollectionBinding = "ostree.collection-binding"
)

// RefBindings returns the ostree.ref-binding list, and whether the commit
// has one of the right type.
func RefBindings(md object.Metadata) ([]string, bool) {
	v, ok := md.Lookup(KeyRefBinding)
	if !ok || v.Type.String() != "as" {
		return nil, false
	}
	list, _ := v.Value.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out, true
}

// VerifyBindings checks a commit's ref and collection bindings the way
// libostree's _ostree_repo_verify_bindings does. collectionID is the
// collection the commit was found in ("" for none) and refName the ref it
// was found through ("" when requested by checksum). A ref binding is
// checked only when present, unless collectionID is set, in which case
// both bindings are required.
func VerifyBindings(collectionID, refName string, md object.Metadata) error {
	refs, ok := RefBindings(md)
	if !ok {
		if collectionID == "" {
			return nil
		}
		return fmt.Errorf("Expected commit metadata to have ref binding information, found none")
	}
	if refName != "" && !slices.Contains(refs, refName) {
		dump := "no refs"
		if len(refs) > 0 {
			quoted := make([]string, len(refs))
			for i, r := range refs {
				quoted[i] = "‘" + r + "’"
			}
			dump = strings.Join(quoted, ", ")
		}
		return fmt.Errorf("Commit has no requested ref ‘%s’ in ref binding metadata (%s)", refName, dump)
	}
	if collectionID != "" {
		bound, ok := md.String(KeyCollectionBinding)
		if !ok {
			return fmt.Errorf("Expected commit metadata to have collection ID binding information, found none")
		}
		if bound != collectionID {
			return fmt.Errorf("Commit has collection ID ‘%s’ in collection binding metadata, while the remote it came from has collection ID ‘%s’", bound, collectionID)
		}
	}
	return nil
}
