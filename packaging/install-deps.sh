#!/usr/bin/env bash
# Installs the Debian 12 packages mxlab needs: "build" for building and running
# it, "run" for that plus the clients the README tries it with next (dig, drill,
# swaks, curl), "test" for all that plus the peers the tests talk to.
# Idempotent; works as root or through sudo.
set -euo pipefail

what=${1:-test}

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost-dev libldns-dev libssl-dev librocksdb-dev libtomlplusplus-dev
  libcrypt-dev openssl
)
# What the README's "Once it runs" and lab sections type; swaks needs
# libnet-ssleay-perl for -tls.
tools_pkgs=(
  bind9-dnsutils ldnsutils swaks libnet-ssleay-perl curl
)
test_pkgs=(
  libgtest-dev libgmock-dev python3 iproute2 procps
  bind9-utils nsd dnsperf postfix whois
  dovecot-pop3d mpop fetchmail isync s-nail
  dovecot-pop3d dovecot-imapd mpop fetchmail
  clang libclang-rt-14-dev
)

case "$what" in
  build) pkgs=("${build_pkgs[@]}") ;;
  run)   pkgs=("${build_pkgs[@]}" "${tools_pkgs[@]}") ;;
  test)  pkgs=("${build_pkgs[@]}" "${tools_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|run|test]" >&2; exit 1 ;;
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
