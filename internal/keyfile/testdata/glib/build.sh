#!/bin/sh
# build.sh OUTDIR [GLIB_GKEYFILE_C]
#
# Builds the GKeyFile golden drivers into OUTDIR:
#   OUTDIR/driver-system  driver.c linked against the system libglib-2.0
#                         (GLib 2.74 on Debian 12, the GLib that Debian's
#                         ostree 2022.7 runs with).
#   OUTDIR/driver-modern  driver.c plus glib/gkeyfile.c from a newer GLib
#                         (taken from tag 2.80.0 for the committed goldens),
#                         compiled against the system GLib headers. Only
#                         built when GLIB_GKEYFILE_C is given.
#
# Needs gcc, pkg-config and libglib2.0-dev. GLib sources are not vendored.
set -eu
out=$1
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
cflags=$(pkg-config --cflags glib-2.0)
libs=$(pkg-config --libs glib-2.0)

gcc -O1 -Wall $cflags -o "$out/driver-system" "$src/driver.c" $libs

if [ $# -ge 2 ]; then
	shim="$out/shim"
	mkdir -p "$shim"
	printf '#define HAVE_UNISTD_H 1\n#define GETTEXT_PACKAGE "glib20"\n' >"$shim/config.h"
	printf '#define _(s) (s)\n#define N_(s) (s)\n#define P_(s) (s)\n#define C_(c, s) (s)\n' >"$shim/glibintl.h"
	# Functions newer than the system GLib that gkeyfile.c 2.80 uses.
	cat >"$shim/compat.h" <<'EOS'
#include <glib.h>
#ifndef g_free_sized
#define g_free_sized(p, s) g_free (p)
#endif
#define g_string_free_and_steal(s) g_string_free ((s), FALSE)
EOS
	for h in gkeyfile gconvert gdataset gerror gfileutils ghash glist gslist \
		gmem gmessages gstring gstrfuncs; do
		echo '#include <glib.h>' >"$shim/$h.h"
	done
	echo '#include <glib/gstdio.h>' >"$shim/gstdio.h"
	sed -e 's/#include "gutils.h"/#include "compat.h"/' "$2" >"$shim/gkeyfile.c"
	# The executable's g_key_file_* definitions take precedence over
	# libglib's, so driver.c runs the newer implementation.
	gcc -O1 -w -I"$shim" $cflags -c -o "$shim/gkeyfile.o" "$shim/gkeyfile.c"
	gcc -O1 -Wall $cflags -o "$out/driver-modern" "$src/driver.c" "$shim/gkeyfile.o" $libs
fi
