#!/bin/bash
# The demo: build a small OS-like tree, commit two versions of it, then
# inspect, diff, check out and verify them, serve them over HTTP, and
# generate a static delta between them and pull through it, then deploy
# them into a sysroot folder: deploy 1.0, upgrade to 2.0, roll back,
# printing every step.
set -euo pipefail
bin=$(readlink -f "${1:-bin/gostree}")
work=$(mktemp -d "${TMPDIR:-/tmp}/gostree-demo.XXXXXX")
# Deployments are made immutable (chattr +i) where the filesystem and the
# user allow; keep them mutable so that the demo can delete its folder.
export OSTREE_SYSROOT_DEBUG=mutable-deployments
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ ostree %s\n' "$*" >&2; "$bin" "$@"; }

make_tree() { # make_tree DIR VERSION
  local d=$1 v=$2 kver=6.1.0
  [[ $v == 2.0 ]] && kver=6.1.5
  mkdir -p "$d/usr/bin" "$d/usr/lib/os" "$d/usr/etc" "$d/usr/share/doc/demo"
  # /var in a commit seeds the stateroot's shared /var on the first deploy.
  mkdir -p "$d/var/lib"
  # A stand-in kernel and initramfs make the tree bootable: deploying
  # copies them to /boot and writes a boot loader entry for them.
  mkdir -p "$d/usr/lib/modules/$kver"
  printf 'not really a kernel (%s)\n' "$kver" >"$d/usr/lib/modules/$kver/vmlinuz"
  printf 'not really an initramfs (%s)\n' "$kver" >"$d/usr/lib/modules/$kver/initramfs.img"
  printf 'NAME="Demo OS"\nVERSION_ID=%s\nPRETTY_NAME="Demo OS %s"\n' "$v" "$v" >"$d/usr/lib/os-release"
  printf '#!/bin/sh\necho "hello from demo %s"\n' "$v" >"$d/usr/bin/hello"
  chmod 755 "$d/usr/bin/hello"
  printf 'greeting=hello\n' >"$d/usr/etc/demo.conf"
  seq 1 2000 >"$d/usr/share/doc/demo/numbers.txt"
  # A 1 MiB "library" of which 2.0 changes a few bytes: a static delta
  # carries only a binary patch for it, a plain pull the whole file.
  cp libdemo.so "$d/usr/lib/os/libdemo.so"
  ln -sf ../lib/os-release "$d/usr/etc/os-release"
  if [[ $v == 2.0 ]]; then
    printf 'greeting=hi\ncolour=blue\n' >"$d/usr/etc/demo.conf"
    printf 'new in 2.0\n' >"$d/usr/share/doc/demo/NEWS"
    rm "$d/usr/share/doc/demo/numbers.txt"
    printf 'demo 2.0' | dd of="$d/usr/lib/os/libdemo.so" bs=1 seek=4096 conv=notrunc status=none
    printf 'patched' | dd of="$d/usr/lib/os/libdemo.so" bs=1 seek=700000 conv=notrunc status=none
  fi
}

# bytes_fetched FILE: the byte count of the last line a --progress-json-fd wrote.
bytes_fetched() { sed -n 's/^{"type":"done".*"bytes":\([0-9]*\).*/\1/p' "$1"; }

step "Create an archive repository"
run --repo=repo init --mode=archive
cat repo/config

step "Commit version 1.0 of a sample tree"
head -c 1048576 /dev/urandom >libdemo.so
make_tree v1 1.0
c1=$(run --repo=repo commit -b demo/stable -s "Demo OS 1.0" --add-metadata-string=version=1.0 --tree=dir=v1)
echo "$c1"

step "Commit version 2.0 on the same branch"
make_tree v2 2.0
c2=$(run --repo=repo commit -b demo/stable -s "Demo OS 2.0" --add-metadata-string=version=2.0 --tree=dir=v2)
echo "$c2"

step "Generate a static delta from 1.0 to 2.0: what a client at 1.0 downloads"
run --repo=repo static-delta generate --from="$c1" --to="$c2"
run --repo=repo static-delta list

step "History of the branch"
run --repo=repo log demo/stable

step "What changed between the versions"
run --repo=repo diff "$c1" "$c2"

step "List the new tree"
run --repo=repo ls -R demo/stable /usr

step "Check out version 1.0 and run its program"
run --repo=repo checkout "$c1" checkout-1.0
sh checkout-1.0/usr/bin/hello

step "Verify every object"
run --repo=repo fsck

step "Publish: write the summary (it lists the delta) and serve the repository over HTTP"
run --repo=repo summary -u
# --verbose logs every request to serve.log, which shows below what the upgrades fetched.
"$bin" --repo=repo serve --verbose --port-file=port >serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s port ]] && break; sleep 0.1; done
[[ -s port ]] || { cat serve.log >&2; echo "server did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat port)/"
cat serve.log

step "A client repository pulls version 1.0 over HTTP"
run --repo=client init --mode=bare-user
run --repo=client remote add --no-gpg-verify origin "$url"
run --repo=client pull origin demo/stable@"$c1"
run --repo=client log origin:demo/stable

step "The client upgrades to 2.0 through the static delta"
run --repo=client pull --progress-json-fd=3 origin demo/stable 3>delta-pull.json
run --repo=client rev-parse origin:demo/stable
run --repo=client fsck
grep -q '"type":"done".*"delta_parts_fetched":[1-9]' delta-pull.json || { echo "the pull did not use the delta" >&2; exit 1; }

step "For comparison, a second client at 1.0 upgrades object by object"
run --repo=client2 init --mode=bare-user
run --repo=client2 remote add --no-gpg-verify origin "$url"
run --repo=client2 pull origin demo/stable@"$c1"
run --repo=client2 pull --disable-static-deltas --progress-json-fd=3 origin demo/stable 3>object-pull.json
[[ $("$bin" --repo=client2 rev-parse origin:demo/stable) == "$("$bin" --repo=client rev-parse origin:demo/stable)" ]]
delta_bytes=$(bytes_fetched delta-pull.json)
object_bytes=$(bytes_fetched object-pull.json)
((delta_bytes < object_bytes)) || { echo "the delta pull fetched more than the object pull" >&2; exit 1; }
printf 'upgrade through the delta: %d bytes fetched; object by object: %d bytes; saved %d bytes (%d%%)\n' \
  "$delta_bytes" "$object_bytes" "$((object_bytes - delta_bytes))" "$(((object_bytes - delta_bytes) * 100 / object_bytes))"

step "Deployments: a sysroot folder with an empty stateroot 'demo'"
mkdir sysroot
run admin init-fs --modern sysroot
run admin os-init --sysroot=sysroot demo
run --repo=sysroot/ostree/repo remote add --no-gpg-verify origin "$url"

step "Pull version 1.0 into the sysroot's repository and deploy it"
run --repo=sysroot/ostree/repo pull origin demo/stable@"$c1"
run admin deploy --sysroot=sysroot --os=demo --karg=root=LABEL=demo-root origin:demo/stable
run admin status --sysroot=sysroot
for e in sysroot/boot/loader/entries/*.conf; do printf -- '--- %s\n' "${e#sysroot/}"; cat "$e"; done
v1dir=$("$bin" admin --sysroot=sysroot --print-current-dir)
echo "1.0 is deployed in ${v1dir#"$work"/}"

step "Local state: a file under /var and an edit in /etc"
echo "written while running 1.0" >sysroot/ostree/deploy/demo/var/lib/demo-note
sed -i 's/^greeting=.*/greeting=howdy (a local edit)/' "$v1dir/etc/demo.conf"
printf 'var/lib/demo-note: '; cat sysroot/ostree/deploy/demo/var/lib/demo-note
printf 'etc/demo.conf:     '; cat "$v1dir/etc/demo.conf"

step "Upgrade: pull 2.0 from the origin (through the delta) and deploy it as the new default"
deltas_before=$(grep -c ' /deltas/' serve.log || true)
run admin upgrade --sysroot=sysroot --os=demo
deltas_after=$(grep -c ' /deltas/' serve.log || true)
((deltas_after > deltas_before)) || { echo "the upgrade did not pull through the delta" >&2; exit 1; }
echo "(the upgrade fetched $((deltas_after - deltas_before)) delta files from the server: superblock and part)"
run admin status --sysroot=sysroot
v2dir=$("$bin" admin --sysroot=sysroot --print-current-dir)
echo "2.0 is deployed in ${v2dir#"$work"/}; 1.0 stays as the rollback"

step "The local state survived the upgrade"
printf 'var/lib/demo-note (shared by all deployments): '; cat sysroot/ostree/deploy/demo/var/lib/demo-note
echo "etc/demo.conf of 2.0 (the local edit wins over 2.0's new default):"
sed 's/^/    /' "$v2dir/etc/demo.conf"
echo "usr/bin/hello of 2.0:"
sh "$v2dir/usr/bin/hello"

step "Roll back: 1.0 becomes the default again"
run admin rollback --sysroot=sysroot
run admin status --sysroot=sysroot
[[ $("$bin" admin --sysroot=sysroot --print-current-dir) == "$v1dir" ]] || { echo "rollback did not make 1.0 the default" >&2; exit 1; }
printf 'default deployment: %s\n' "${v1dir#"$work"/}"
printf 'etc/demo.conf:      '; cat "$v1dir/etc/demo.conf"
printf 'var/lib/demo-note:  '; cat sysroot/ostree/deploy/demo/var/lib/demo-note
sh "$v1dir/usr/bin/hello"

step "The system repository is intact"
run --repo=sysroot/ostree/repo fsck

printf '\nDemo finished: two commits, %s objects in the server repository, pulled into a client over HTTP,\n' "$(find repo/objects -type f | wc -l)"
printf 'the upgrade through a static delta (%d%% fewer bytes than object by object),\n' "$(((object_bytes - delta_bytes) * 100 / object_bytes))"
printf 'deployed, upgraded and rolled back in a sysroot, with /etc and /var state kept.\n'
