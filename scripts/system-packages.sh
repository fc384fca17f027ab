#!/usr/bin/env bash
# Install the Debian packages the portal needs, if missing.
# As root: apt-get installs them. Otherwise: print the exact command and stop.
# An argument "cmd:pkg" installs pkg only when the command cmd is missing (e.g. npm, which
# may come with a nodejs package from elsewhere).
set -euo pipefail
missing=()
for arg in "$@"; do
  if [[ "$arg" == *:* ]]; then
    command -v "${arg%%:*}" >/dev/null 2>&1 || missing+=("${arg#*:}")
  else
    dpkg-query -W -f='${Status}' "$arg" 2>/dev/null | grep -q "install ok installed" || missing+=("$arg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Run as root, then re-run make:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
