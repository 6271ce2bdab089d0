#!/usr/bin/env bash
# Installs the Debian 12 packages mxlab needs: "build" for building and running
# it, "test" for that plus the real clients and peers the tests talk to.
# Idempotent; works as root or through sudo.
set -euo pipefail

what=${1:-test}

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost-dev libldns-dev libssl-dev librocksdb-dev libtomlplusplus-dev
  libcrypt-dev openssl
)
test_pkgs=(
  libgtest-dev libgmock-dev python3 iproute2 procps
  bind9-dnsutils bind9-utils ldnsutils nsd dnsperf postfix swaks libnet-ssleay-perl curl whois
  dovecot-pop3d mpop fetchmail
  clang libclang-rt-14-dev
)

case "$what" in
  build) pkgs=("${build_pkgs[@]}") ;;
  test)  pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test]" >&2; exit 1 ;;
esac

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Peers such as nsd and postfix (which ships smtp-source) would start as system
# services on ports 53 and 25 when installed; the tests and benchmarks start
# their own copies, so keep the packaged daemons stopped.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  made_policy=1
fi
trap '[ "$made_policy" = 1 ] && "${sudo[@]}" rm -f "$policy"' EXIT

"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
