#!/bin/sh
# Regenerates testdata/ with the reference ostree (libostree 2022.7).
set -eu
out=$1
export OSTREE_SYSROOT_DEBUG=
ostree --repo=repo init --mode=archive
mkdir -p t/etc t/usr/bin
printf 'hello\n' > t/etc/a
ln -s a t/etc/link
seq 1 3000 > t/usr/bin/tool
ostree --repo=repo commit -b main --tree=dir=t -s one --timestamp=2020-01-01T00:00:00Z --no-bindings >/dev/null
printf 'hello world\n' > t/etc/a
seq 1 3100 | sed 's/^15/fifteen/' > t/usr/bin/tool
printf 'new\n' > t/usr/bin/new
ostree --repo=repo commit -b main --tree=dir=t -s two --timestamp=2020-01-02T00:00:00Z --no-bindings >/dev/null
from=$(ostree --repo=repo rev-parse main^)
to=$(ostree --repo=repo rev-parse main)
gen() { name=$1; shift
  ostree --repo=repo static-delta generate "$@" >/dev/null 2>&1
  dir=$(find repo/deltas -name superblock -newer repo/config -printf '%h\n' | head -1)
  mkdir -p $out/$name; cp $dir/* $out/$name/; rm -rf $dir
  touch repo/config
}
sleep 1; touch repo/config
gen scratch --empty --to=$to
gen bsdiff --from=$from --to=$to --max-bsdiff-size=1
gen inline --from=$from --to=$to --inline
gen swapped --from=$from --to=$to --swap-endianness --disable-bsdiff
echo "$from $to" > $out/commits
