#!/usr/bin/env bash
# The packaging check: builds every release artefact from the checkout (five tarballs, two .debs)
# into one directory, then runs test/packaging against exactly those files. Used before a release
# (the artefacts in dist/ are then the ones to upload) and by anyone who wants the packaging tests
# alone; `npm test` runs the same tests but builds into a throw-away directory.
#
#   scripts/pack/check.sh [OUT_DIR]      (default: dist)
#
# Needs the Debian packages apt-utils (apt-ftparchive), dpkg-dev (dpkg-deb) and ruby; the keyring
# packages of scripts/with-keyring.sh are optional (with them the install test also proves the
# bundled keyring binding against a real Secret Service). Measured here (2 cores): ≈ 2 min to
# build, ≈ 1.5 min of tests.
set -euo pipefail
cd "$(dirname "$0")/../.."

out="$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)"
start=$SECONDS

npx tsx scripts/pack/build.ts --out "$out"
built=$SECONDS

run=()
if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  run=(scripts/with-keyring.sh)
fi
status=0
DIFYCTL_PACK_DIR="$out" "${run[@]}" npx mocha --config test/packaging/mocharc.json || status=$?

echo "packaging check: build $((built - start)) s, tests $((SECONDS - built)) s, total $((SECONDS - start)) s; artefacts in $out"
exit "$status"
