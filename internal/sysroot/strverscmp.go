package sysroot

// strverscmp compares like glibc's strverscmp: runs of digits compare as
// numbers, except that runs with leading zeros compare as fractions. BLS
// entries are ordered by it.
func strverscmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			if c := compareDigits(a[si:i], b[sj:j]); c != 0 {
				return c
			}
			continue
		}
		if ca != cb {
			return int(ca) - int(cb)
		}
		i++
		j++
	}
	return (len(a) - i) - (len(b) - j)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// compareDigits compares two digit runs as glibc does: a run with a
// leading zero (longer than one digit) is a fraction and sorts before any
// integer; fractions with more leading zeros sort first, then compare as
// strings; integers compare by value.
func compareDigits(x, y string) int {
	xf := len(x) > 1 && x[0] == '0'
	yf := len(y) > 1 && y[0] == '0'
	switch {
	case xf && !yf:
		return -1
	case yf && !xf:
		return 1
	case !xf:
		if len(x) != len(y) {
			return len(x) - len(y)
		}
		return strcmp(x, y)
	}
	zx, zy := leadingZeros(x), leadingZeros(y)
	if zx != zy {
		return zy - zx
	}
	return strcmp(x, y)
}

func leadingZeros(s string) int {
	n := 0
	for n < len(s) && s[n] == '0' {
		n++
	}
	return n
}

func strcmp(x, y string) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
