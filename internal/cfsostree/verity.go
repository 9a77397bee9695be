package cfsostree

// Verity says where the per-file fs-verity digests come from; it is
// libostree's "verity" checkout option (0, 1, 2).
type Verity int

const (
	// VerityNone records no digests (checkout --composefs-noverity).
	VerityNone Verity = iota
	// VerityMeasured records a digest only for objects that already have
	// fs-verity enabled (deploy, unless prepare-root requires verity).
	VerityMeasured
	// VerityRequired records every digest: measured where the object has
	// fs-verity, computed from its content otherwise. The image then
	// matches ostree.composefs.digest.v0, which is checked when present.
	VerityRequired
)

func (v Verity) String() string {
	switch v {
	case VerityNone:
		return "none"
	case VerityMeasured:
		return "measured"
	case VerityRequired:
		return "required"
	}
	return "invalid"
}
