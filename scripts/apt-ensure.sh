#!/bin/bash
# apt-ensure.sh WHAT PACKAGE...: installs the Debian packages that are
# missing (as root, without recommends); WHAT names them in messages.
# Does nothing when all are present.
set -eu
what=$1; shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) != 0 ]]; then
  echo "missing $what: ${missing[*]} (run as root: apt-get install -y --no-install-recommends ${missing[*]})" >&2
  exit 1
fi
echo "installing $what: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
