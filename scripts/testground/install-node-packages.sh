#!/usr/bin/env bash
# Provides the Debian packages the test ground's real node needs, pinned in
# versions.sh. containerd, runc, the CNI plugins, iptables and tini are
# installed (as root) when missing; busybox-static and prometheus are only
# unpacked into the cache, so nothing of them runs or lands outside it.
# This machine kind's apt refuses to start services on install
# (policy-rc.d), and containerd ships only a systemd unit: installing starts
# nothing. A pinned version that has left the archive is replaced by the
# current bookworm build, and the script says so.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

cache=${THANOS_TESTGROUND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thanos-installer-testground}
log() { printf '[testground node packages] %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

installed=(
  "containerd=$CONTAINERD_DEB_VERSION"
  "runc=$RUNC_DEB_VERSION"
  "containernetworking-plugins=$CNI_PLUGINS_DEB_VERSION"
  "iptables=$IPTABLES_DEB_VERSION"
  "tini=$TINI_DEB_VERSION"
)
unpacked=(
  "busybox-static=$BUSYBOX_DEB_VERSION"
  "prometheus=$PROMETHEUS_DEB_VERSION"
)

is_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

updated=0
apt_update() {
  [ "$updated" = 1 ] && return
  apt-get update -qq >&2 || fail "apt-get update failed (see above)"
  updated=1
}

missing=()
for spec in "${installed[@]}"; do
  is_installed "${spec%%=*}" || missing+=("$spec")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing Debian packages ${missing[*]%%=*}; installing them needs root: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_update
  log "installing ${missing[*]}"
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    log "a pinned version is no longer in the archive; installing the current bookworm builds of ${missing[*]%%=*}"
    apt-get install -y -qq --no-install-recommends "${missing[@]%%=*}" >&2 \
      || fail "apt-get install ${missing[*]%%=*} failed (see above)"
  fi
fi

# Each unpacked package's files go to $cache/debs/NAME-VERSION, and
# $cache/debs/NAME points at the pinned one.
for spec in "${unpacked[@]}"; do
  name=${spec%%=*} version=${spec#*=}
  dest="$cache/debs/$name-${version//[:~+]/_}"
  if [ -d "$dest" ]; then ln -sfn "$(basename "$dest")" "$cache/debs/$name"; continue; fi
  tmp=$(mktemp -d)
  chmod 0755 "$tmp" # apt downloads as its own user
  apt_update
  log "unpacking $name $version"
  if ! (cd "$tmp" && apt-get download -qq "$spec" >&2); then
    log "$name $version is no longer in the archive; unpacking the current bookworm build"
    (cd "$tmp" && apt-get download -qq "$name" >&2) || { rm -rf "$tmp"; fail "apt-get download $name failed (see above)"; }
  fi
  dpkg-deb -x "$tmp"/*.deb "$tmp/root" || { rm -rf "$tmp"; fail "dpkg-deb -x of $name failed"; }
  mkdir -p "$cache/debs" && mv "$tmp/root" "$dest" && rm -rf "$tmp"
  ln -sfn "$(basename "$dest")" "$cache/debs/$name"
done
