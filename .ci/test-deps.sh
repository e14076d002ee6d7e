#!/usr/bin/env bash
# What the tests need from the machine, beside npm's packages: checked on every `npm test` and by
# .ci/run, installed when missing if this runs as root (or with sudo) on a Debian/Ubuntu machine.
#   chromium     headless browser for the desktop renderer and the real-VS-Code UI tests
#                (or COLDKEEP_CHROMIUM=/path/to/chromium)
#   libkrb5-dev  build dependency of code-server, installed by the VS Code test on first run
# Otherwise it stops before any test runs and names the one command that installs them.
set -Eeuo pipefail

export DEBIAN_FRONTEND=noninteractive
missing=()
have_package() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if [[ -n ${COLDKEEP_CHROMIUM:-} && -x ${COLDKEEP_CHROMIUM} ]] || command -v chromium >/dev/null 2>&1; then :; else missing+=(chromium); fi
if command -v dpkg-query >/dev/null 2>&1; then
  have_package libkrb5-dev || missing+=(libkrb5-dev)
elif ! command -v krb5-config >/dev/null 2>&1; then
  missing+=(libkrb5-dev)
fi

if ((${#missing[@]} == 0)); then
  echo "test dependencies: present (chromium, libkrb5-dev)"
  exit 0
fi

as_root=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root=(sudo); else as_root=(); fi
fi
if ! command -v apt-get >/dev/null 2>&1 || { [[ $EUID -ne 0 ]] && ((${#as_root[@]} == 0)); }; then
  {
    echo "The tests need: ${missing[*]}. Nothing was run."
    echo "Install them with:  sudo bash .ci/test-deps.sh"
    echo "(on a machine without apt, install chromium and the Kerberos headers with its package manager;"
    echo " COLDKEEP_CHROMIUM may point at another Chromium build)"
  } >&2
  exit 1
fi

# apt-get with retries: another apt or dpkg (unattended upgrades, a parallel job) may hold the lock,
# and a mirror may answer badly once. DPkg::Lock::Timeout waits for the lock itself.
apt_get() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=120 -o Acquire::Retries=3 "$@"; then return 0; fi
    echo "apt-get $1 failed (attempt $attempt of 5)" >&2
    if ((attempt < 5)); then sleep $((attempt * 10)); fi
  done
  return 1
}

echo "test dependencies: installing ${missing[*]} with apt-get"
apt_get update -q
apt_get install -y --no-install-recommends "${missing[@]}"
