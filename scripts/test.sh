#!/usr/bin/env bash
# `npm test`: the whole suite, as CI runs it. Installs the Debian packages the tests need when they
# are missing (as root), builds, then runs mocha inside a private D-Bus session with an unlocked
# gnome-keyring, so the keychain tests talk to a real Secret Service. Extra arguments go to mocha.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
npm run --silent build
npx tsc -p tsconfig.check.json
exec scripts/with-keyring.sh npx mocha "$@"
