#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, so that the keychain
# backend can be tested against a real Secret Service without touching the user's own keyring:
#
#   scripts/with-keyring.sh npx mocha test/lib/credentials/keychain-secret-service.test.ts
#
# The arguments are passed through untouched (no re-quoting) and the command's exit status is ours.
# The keyring's files live in a temp directory removed afterwards; the daemon ends with the session.
# The command sees DIFYCTL_TEST_KEYRING=1 (tests that need the keyring check it) and its own
# XDG_DATA_HOME, not the temp one given to the daemon.
# Needs the Debian packages gnome-keyring, libsecret-tools (secret-tool) and dbus.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: $tool not found; install: apt-get install -y --no-install-recommends gnome-keyring libsecret-tools dbus" >&2
    exit 127
  fi
done

keyring_home=$(mktemp -d "${TMPDIR:-/tmp}/difyctl-keyring.XXXXXX")
trap 'rm -rf "$keyring_home"' EXIT

# Remember whether XDG_DATA_HOME was set, and to what, so the command gets it back unchanged.
export WITH_KEYRING_XDG_DATA_HOME_SET="${XDG_DATA_HOME+1}"
export WITH_KEYRING_XDG_DATA_HOME="${XDG_DATA_HOME-}"

status=0
XDG_DATA_HOME="$keyring_home" dbus-run-session -- bash -c '
  set -eu
  # The password only matters inside this throw-away session.
  eval "$(printf %s difyctl-test | gnome-keyring-daemon --unlock --components=secrets)"
  # The daemon forks and joins the bus a moment later. Until it owns the Secret Service name, a call
  # would make D-Bus activate a second daemon, and a daemon that joins after the session ended never
  # notices and lingers. So wait for the name, and learn the pid to stop it afterwards.
  daemon_pid=
  for _ in $(seq 1 100); do
    daemon_pid=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk "{print \$2}") || true
    [ -n "$daemon_pid" ] && break
    sleep 0.05
  done
  if [ -z "$daemon_pid" ]; then
    echo "with-keyring: gnome-keyring-daemon did not provide the Secret Service" >&2
    exit 1
  fi
  if [ -n "$WITH_KEYRING_XDG_DATA_HOME_SET" ]; then
    export XDG_DATA_HOME="$WITH_KEYRING_XDG_DATA_HOME"
  else
    unset XDG_DATA_HOME
  fi
  unset WITH_KEYRING_XDG_DATA_HOME_SET WITH_KEYRING_XDG_DATA_HOME
  export DIFYCTL_TEST_KEYRING=1
  status=0
  "$@" || status=$?
  kill "$daemon_pid" 2>/dev/null || true
  exit "$status"
' with-keyring "$@" || status=$?
exit "$status"
