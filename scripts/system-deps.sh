#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when something is missing:
#   gnome-keyring, libsecret-tools, dbus   a real Secret Service for the keychain tests
#   tmux                                    terminal (pty) tests of pickers and prompts
#   chromium                                the approval page driven by a real browser
#   ruby                                    `ruby -c` on the generated Homebrew formula
#   apt-utils, xz-utils, p7zip-full, nsis   `oclif pack deb|win` and tarball checks
#   openssl                                 throwaway CAs for the TLS/proxy tests
#   time                                    /usr/bin/time: peak RSS in `npm run bench`
set -euo pipefail
packages=(gnome-keyring libsecret-tools dbus tmux chromium ruby apt-utils xz-utils openssl time)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages the tests need: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
