#!/usr/bin/env bash
# Installs Debian's Chromium (pinned in versions.sh) for the browser test, if
# it is not there yet. Needs root, as apt-get does.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

if [ -x /usr/bin/chromium ]; then
  echo "[testground] $(/usr/bin/chromium --version 2>/dev/null) already installed" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "[testground] FAILED: Chromium is missing and installing it needs root: apt-get install chromium=$CHROMIUM_VERSION" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "[testground] installing Debian's chromium $CHROMIUM_VERSION" >&2
apt-get update -qq
if ! apt-get install -y -qq --no-install-recommends "chromium=$CHROMIUM_VERSION" >&2; then
  echo "[testground] chromium $CHROMIUM_VERSION is no longer in the archive; installing the current bookworm build" >&2
  apt-get install -y -qq --no-install-recommends chromium >&2 || {
    echo "[testground] FAILED: apt-get install chromium failed (see above)" >&2
    exit 1
  }
fi
