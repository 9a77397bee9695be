#!/bin/sh
# gostree-timeout: 30
# Example required check: the system came up as an OSTree deployment and
# gostree can read its sysroot. Any non-zero exit fails the boot; the last
# lines of output end up in the health record and in `ostree admin status`.
if [ ! -e /run/ostree-booted ]; then
	echo "not booted through prepare-root: /run/ostree-booted is missing"
	exit 1
fi
if ! gostree admin status >/dev/null; then
	echo "gostree admin status failed"
	exit 1
fi
echo "booted deployment is readable"
