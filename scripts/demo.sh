#!/usr/bin/env bash
# The main job, end to end on this machine: start the bundled Dify emulator, sign in to it with the
# real device flow (the emulator approves after two polls, standing in for you clicking Approve),
# then show the stored identity, list the session server-side, and sign out.
# State goes to a throw-away config dir so your own sign-ins are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f build/src/commands/auth/login.js ] || [ -n "$(find src -newer build/src/commands/auth/login.js -name '*.ts' -print -quit)" ]; then
  npm run --silent build
fi

work=$(mktemp -d)
export DIFY_CONFIG_DIR="$work/config" DIFY_DATA_DIR="$work/data"
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --interval 1 keeps the demo short; a real server asks for 5 s between polls.
node --import tsx emulator/main.ts --port 0 --interval 1 --auto-approve 2 > "$work/emulator.out" 2> "$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 1 100); do
  url=$(sed -n 's/^{"url":"\(.*\)"}$/\1/p' "$work/emulator.out")
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "${url:-}" ]; then
  echo "the emulator did not start:" >&2
  cat "$work/emulator.err" >&2
  exit 1
fi

difyctl() { ./bin/run.js "$@"; }
# Bold command lines on a terminal only (NO_COLOR respected); plain text in logs and pipes.
if [ -t 1 ] && [ -z "${NO_COLOR+x}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ difyctl %s%s\n' "$bold" "$*" "$plain"; difyctl "$@"; }

echo "Dify emulator running at $url"
step auth login --host "$url" --insecure --no-browser
step auth whoami
step auth whoami --json
step auth list
step auth devices list
step auth logout
step auth list -o json
