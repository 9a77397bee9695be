package composefs

import mathbits "math/bits"

// On-disk constants of the EROFS subset composefs images use, and of the
// composefs header in EROFS's unused first kilobyte. See
// docs/design (the research note on composefs) for the layout.
const (
	blockSize    = 4096
	blockBits    = 12
	slotSize     = 32 // inode alignment; nid = offset / slotSize
	superOffset  = 1024
	superSize    = 128
	metaStart    = superOffset + superSize // first inode may start here
	compactSize  = 32
	extendedSize = 64
	direntSize   = 12
	xattrHdrSize = 12 // erofs_xattr_ibody_header
	xattrEntSize = 4  // erofs_xattr_entry

	cfsMagic       = 0xd078629a
	cfsHeaderVer   = 1 // LCFS_EROFS_VERSION
	cfsFlagHasACL  = 1
	erofsMagic     = 0xe0f5e1e2
	featureCompat  = 0x2 | 0x4 // MTIME | XATTR_FILTER
	maxVersion     = 1         // LCFS_VERSION_MAX
	maxChunkBits   = 31        // EROFS_CHUNK_FORMAT_BLKBITS_MASK
	maxChunks      = 1024      // chunk map of one block
	maxSharedRefs  = 128       // EROFS_XATTR_LONG_PREFIX
	nullAddr       = 0xffffffff
	xattrSeed      = 0x25bbe08f
	layoutPlain    = 0
	layoutInline   = 2
	layoutChunked  = 4
	chunkIndexBit  = 0x20 // EROFS_CHUNK_FORMAT_INDEXES
	xattrIdxUser   = 1
	xattrIdxACLAcc = 2
	xattrIdxACLDef = 3
	xattrIdxTrust  = 4
	xattrIdxLustre = 5
	xattrIdxSecure = 6
)

// EROFS dirent file types.
const (
	ftUnknown = iota
	ftReg
	ftDir
	ftChr
	ftBlk
	ftFifo
	ftSock
	ftSymlink
)

// Overlay xattrs composefs synthesizes or escapes.
const (
	ovlPrefix          = "trusted.overlay."
	ovlEscapePrefix    = "trusted.overlay.overlay."
	ovlMetacopy        = "trusted.overlay.metacopy"
	ovlRedirect        = "trusted.overlay.redirect"
	ovlOpaque          = "trusted.overlay.opaque"
	ovlEscWhiteout     = "trusted.overlay.overlay.whiteout"
	ovlEscWhiteouts    = "trusted.overlay.overlay.whiteouts"
	ovlEscOpaque       = "trusted.overlay.overlay.opaque"
	ovlUserWhiteout    = "user.overlay.whiteout"
	ovlUserWhiteouts   = "user.overlay.whiteouts"
	ovlUserOpaque      = "user.overlay.opaque"
	aclAccess          = "system.posix_acl_access"
	aclDefault         = "system.posix_acl_default"
	fsverityHashSHA256 = 1
)

// xattrPrefixes maps EROFS short name indexes to their prefixes. The
// writer picks the first match in writeOrder; lustre (5) is only read.
var xattrPrefixes = [...]string{
	xattrIdxUser:   "user.",
	xattrIdxACLAcc: aclAccess,
	xattrIdxACLDef: aclDefault,
	xattrIdxTrust:  "trusted.",
	xattrIdxLustre: "lustre.",
	xattrIdxSecure: "security.",
}

var writeOrder = [...]uint8{xattrIdxUser, xattrIdxACLAcc, xattrIdxACLDef, xattrIdxTrust, xattrIdxSecure}

// splitXattrKey returns the short-name index of key and its suffix.
func splitXattrKey(key string) (uint8, string) {
	for _, i := range writeOrder {
		p := xattrPrefixes[i]
		if len(key) >= len(p) && key[:len(p)] == p {
			return i, key[len(p):]
		}
	}
	return 0, key
}

// xattrEntryLen is the on-disk size of one xattr entry, padded to 4.
func xattrEntryLen(key string, valueLen int) int {
	_, suffix := splitXattrKey(key)
	return roundUp(xattrEntSize+len(suffix)+valueLen, 4)
}

// fileType is the dirent type of a mode.
func fileType(mode uint32) uint8 {
	switch mode & TypeMask {
	case TypeRegular:
		return ftReg
	case TypeDir:
		return ftDir
	case TypeChar:
		return ftChr
	case TypeBlock:
		return ftBlk
	case TypeFifo:
		return ftFifo
	case TypeSocket:
		return ftSock
	case TypeSymlink:
		return ftSymlink
	}
	return ftUnknown
}

func validMode(mode uint32) bool { return fileType(mode) != ftUnknown }

func roundUp[T ~int | ~int64 | ~uint64](x, a T) T { return (x + a - 1) / a * a }

// chunking is the chunk size (as bits) and count of an external file:
// one chunk as large as the file needs, at least a block, at most 2^43.
func chunking(size uint64) (bits uint32, count uint64) {
	bits = blockBits
	if size > 1 {
		bits = max(uint32(mathbits.Len64(size-1)), blockBits)
	}
	bits = min(bits, maxChunkBits+blockBits)
	if size == 0 {
		return bits, 0
	}
	return bits, (size-1)>>bits + 1
}
