package fsverity

import (
	"crypto/sha256"
	"errors"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Enable turns on fs-verity for f with the Merkle tree p selects
// (FS_IOC_ENABLE_VERITY). f must be open read-only and no one may have the
// file open for writing. Afterwards the file is read-only for good and
// Measure returns its digest, which equals SumParams of its contents.
func Enable(f *os.File, p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	arg := unix.FsverityEnableArg{
		Version:        1,
		Hash_algorithm: hashAlgSHA256,
		Block_size:     uint32(p.blockSize()),
		Salt_size:      uint32(len(p.Salt)),
	}
	// The kernel reads the salt through a pointer inside arg; pin a heap
	// copy so it stays put while the ioctl runs.
	var pin runtime.Pinner
	defer pin.Unpin()
	if len(p.Salt) > 0 {
		salt := make([]byte, len(p.Salt))
		copy(salt, p.Salt)
		pin.Pin(&salt[0])
		arg.Salt_ptr = uint64(uintptr(unsafe.Pointer(&salt[0])))
	}
	errno := ioctl(f, unix.FS_IOC_ENABLE_VERITY, unsafe.Pointer(&arg))
	if errno == 0 {
		return nil
	}
	kind, hint := classify(errno)
	switch errno {
	case unix.EEXIST:
		kind = ErrAlreadyEnabled
	case unix.ETXTBSY:
		kind, hint = ErrOpenForWriting, "close every writable descriptor first"
	case unix.EBUSY:
		hint = "verity is being enabled on it already"
	case unix.EINVAL:
		hint = "block size or salt not accepted by this kernel or filesystem"
	case unix.EBADF, unix.EACCES:
		hint = "Enable needs a descriptor opened read-only"
	case unix.EPERM:
		hint = "append-only or immutable file, or no write permission"
	case unix.EROFS:
		hint = "read-only filesystem"
	case unix.EFBIG:
		hint = "file too large for a Merkle tree"
	case unix.ENOPKG:
		hint = "the kernel lacks the SHA-256 algorithm"
	}
	return newError("enable verity on", f, kind, errno, hint)
}

// Measure returns f's fs-verity digest (FS_IOC_MEASURE_VERITY). Only
// SHA-256 files are supported; others get an error naming the algorithm.
func Measure(f *os.File) ([sha256.Size]byte, error) {
	var out [sha256.Size]byte
	// struct fsverity_digest with room for the largest (SHA-512) digest,
	// so a SHA-512 file is reported as such instead of as EOVERFLOW.
	var arg struct {
		unix.FsverityDigest
		digest [64]byte
	}
	arg.Size = uint16(len(arg.digest))
	if errno := ioctl(f, unix.FS_IOC_MEASURE_VERITY, unsafe.Pointer(&arg)); errno != 0 {
		kind, hint := classify(errno)
		return out, newError("measure verity of", f, kind, errno, hint)
	}
	if arg.Algorithm != hashAlgSHA256 || arg.Size != sha256.Size {
		return out, newError("measure verity of", f, nil,
			errors.New("digest is not SHA-256"), algorithmName(arg.Algorithm))
	}
	copy(out[:], arg.digest[:])
	return out, nil
}

// classify maps the errnos both ioctls share.
func classify(errno unix.Errno) (kind error, hint string) {
	switch errno {
	case unix.EOPNOTSUPP, unix.ENOTTY:
		return ErrNotSupported, "for ext4, mkfs or tune2fs with -O verity"
	case unix.ENODATA:
		return ErrNotEnabled, ""
	}
	return nil, ""
}

func algorithmName(alg uint16) string {
	if alg == 2 {
		return "the file uses SHA-512"
	}
	return "unknown hash algorithm " + strconv.Itoa(int(alg))
}

// ioctl runs one ioctl on f's descriptor, retrying when interrupted.
func ioctl(f *os.File, req uint, arg unsafe.Pointer) unix.Errno {
	rc, err := f.SyscallConn()
	if err != nil {
		return unix.EBADF
	}
	var errno unix.Errno
	cerr := rc.Control(func(fd uintptr) {
		for {
			_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(arg))
			if errno != unix.EINTR {
				return
			}
		}
	})
	if cerr != nil {
		return unix.EBADF
	}
	return errno
}
