// Package ref owns the names of refs, remotes, refspecs and collection
// IDs, and the rules libostree applies to them.
//
// Level L1: standard library only.
package ref

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	refRe      = regexp.MustCompile(`^(?:[\w\d][-._\w\d]*/)*[\w\d][-._\w\d]*$`)
	remoteRe   = regexp.MustCompile(`^[\w\d][-._\w\d]*$`)
	collElemRe = regexp.MustCompile(`^[A-Za-z_-][A-Za-z0-9_-]*$`)
)

// ValidateRef checks a ref name such as "exampleos/x86_64/stable".
func ValidateRef(name string) error {
	if !refRe.MatchString(name) {
		return fmt.Errorf("invalid ref name %s", name)
	}
	return nil
}

// ValidateRemote checks a remote name.
func ValidateRemote(name string) error {
	if !remoteRe.MatchString(name) {
		return fmt.Errorf("invalid remote name %s", name)
	}
	return nil
}

// ValidateCollectionID checks a D-Bus-interface-like collection ID.
func ValidateCollectionID(id string) error {
	if id == "" || len(id) > 255 {
		return fmt.Errorf("invalid collection ID %q: wrong length", id)
	}
	parts := strings.Split(id, ".")
	if len(parts) < 2 {
		return fmt.Errorf("invalid collection ID %s: must contain at least two elements", id)
	}
	for _, p := range parts {
		if !collElemRe.MatchString(p) {
			return fmt.Errorf("invalid collection ID %s", id)
		}
	}
	return nil
}

// Spec is a parsed refspec: [remote:]ref.
type Spec struct {
	Remote string
	Ref    string
}

// String formats the refspec.
func (s Spec) String() string {
	if s.Remote == "" {
		return s.Ref
	}
	return s.Remote + ":" + s.Ref
}

// ParseSpec parses [remote:]ref and validates both parts.
func ParseSpec(s string) (Spec, error) {
	var sp Spec
	if i := strings.IndexByte(s, ':'); i >= 0 {
		sp.Remote, sp.Ref = s[:i], s[i+1:]
		if err := ValidateRemote(sp.Remote); err != nil {
			return Spec{}, fmt.Errorf("invalid refspec %s: %w", s, err)
		}
	} else {
		sp.Ref = s
	}
	if err := ValidateRef(sp.Ref); err != nil {
		return Spec{}, err
	}
	return sp, nil
}

// CollectionRef names a ref within a collection.
type CollectionRef struct {
	CollectionID string
	Ref          string
}
