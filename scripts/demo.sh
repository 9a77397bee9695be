#!/bin/bash
# The demo: build a small OS-like tree, commit two versions of it, then
# inspect, diff, check out and verify them, printing every step.
set -euo pipefail
bin=$(readlink -f "${1:-bin/gostree}")
work=$(mktemp -d "${TMPDIR:-/tmp}/gostree-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ ostree %s\n' "$*" >&2; "$bin" "$@"; }

make_tree() { # make_tree DIR VERSION
  local d=$1 v=$2
  mkdir -p "$d/usr/bin" "$d/usr/lib/os" "$d/usr/etc" "$d/usr/share/doc/demo"
  printf 'NAME="Demo OS"\nVERSION_ID=%s\nPRETTY_NAME="Demo OS %s"\n' "$v" "$v" >"$d/usr/lib/os-release"
  printf '#!/bin/sh\necho "hello from demo %s"\n' "$v" >"$d/usr/bin/hello"
  chmod 755 "$d/usr/bin/hello"
  printf 'greeting=hello\n' >"$d/usr/etc/demo.conf"
  seq 1 2000 >"$d/usr/share/doc/demo/numbers.txt"
  ln -sf ../lib/os-release "$d/usr/etc/os-release"
  if [[ $v == 2.0 ]]; then
    printf 'greeting=hi\ncolour=blue\n' >"$d/usr/etc/demo.conf"
    printf 'new in 2.0\n' >"$d/usr/share/doc/demo/NEWS"
    rm "$d/usr/share/doc/demo/numbers.txt"
  fi
}

step "Create an archive repository"
run --repo=repo init --mode=archive
cat repo/config

step "Commit version 1.0 of a sample tree"
make_tree v1 1.0
c1=$(run --repo=repo commit -b demo/stable -s "Demo OS 1.0" --add-metadata-string=version=1.0 --tree=dir=v1)
echo "$c1"

step "Commit version 2.0 on the same branch"
make_tree v2 2.0
c2=$(run --repo=repo commit -b demo/stable -s "Demo OS 2.0" --add-metadata-string=version=2.0 --tree=dir=v2)
echo "$c2"

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

step "Publish: write the summary and serve the repository over HTTP"
run --repo=repo summary -u
"$bin" --repo=repo serve --port-file=port >serve.log 2>&1 &
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

step "The client upgrades: only the new objects are fetched"
run --repo=client pull origin demo/stable
run --repo=client rev-parse origin:demo/stable
run --repo=client fsck

printf '\nDemo finished: two commits, %s objects in the server repository, pulled into a client over HTTP.\n' "$(find repo/objects -type f | wc -l)"
