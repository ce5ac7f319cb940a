#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Takes screenshots of the app as a user sees it, on a private X server:
# the welcome page, the empty state, an active conversation, a long
# history (with unread and queued messages) and its search, the
# confirmation to clear it, and the banner of a history that cannot be
# opened.
#
#   tests/ui/screenshots.sh BUILD-DIR [OUT-DIR]
#
# Needs Xvfb, xdotool and ImageMagick's import (build-aux/test installs
# them). Writes welcome.png, empty.png, conversation.png, history.png,
# search.png, found.png, menu.png, clear.png and history-error.png (and, with
# LANGUAGE set, the same in that language) to OUT-DIR (default: a new
# temporary folder, printed at the end).
set -euo pipefail

# the app wants a session bus, as on a desktop
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null; then
  exec dbus-run-session -- "$0" "$@"
fi

BUILD=$(cd "${1:?usage: $0 BUILD-DIR [OUT-DIR]}" && pwd)
OUT=${2:-$(mktemp -d "${TMPDIR:-/tmp}/natter-shots.XXXXXX")}
mkdir -p "$OUT"
for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found" >&2; exit 77; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/natter-shots-run.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1100x720x24 -nolisten tcp >/dev/null 2>&1 &
PIDS+=($!)
export DISPLAY=$display GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 GTK_A11Y=none
export GSETTINGS_SCHEMA_DIR=$BUILD/data GSETTINGS_BACKEND=memory
export XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config
sleep 1

"$BUILD/src/server/natter-server" --port=0 --bind=127.0.0.1 2>"$WORK/server.log" &
PIDS+=($!)
for _ in $(seq 50); do grep -q "listening" "$WORK/server.log" && break; sleep 0.1; done
port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)
server=127.0.0.1:$port

shot() {
  sleep "${2:-1.5}"
  import -window root "$OUT/$1.png"
  echo "wrote $OUT/$1.png"
}

# 1. first run: the welcome page
"$BUILD/src/app/natter" --profile=shots &
app=$!
shot welcome
kill $app; wait $app 2>/dev/null || true

# 2. online, but nobody else is
"$BUILD/src/app/natter" --profile=shots --id=alice --server="$server" &
app=$!
shot empty 2
kill $app; wait $app 2>/dev/null || true

# 3. a conversation: two terminal clients write to alice
mkfifo "$WORK/bob.in" "$WORK/carol.in"
exec 7<>"$WORK/bob.in" 8<>"$WORK/carol.in"
"$BUILD/src/cli/natter-cli" --id=bob --server="$server" --port=0 <&7 >"$WORK/bob.out" 2>&1 &
PIDS+=($!)
"$BUILD/src/cli/natter-cli" --id=carol --server="$server" --port=0 <&8 >"$WORK/carol.out" 2>&1 &
PIDS+=($!)
"$BUILD/src/app/natter" --profile=shots --id=alice --server="$server" &
app=$!
PIDS+=($app)
sleep 2
echo "@chat alice Hi Alice! Are you coming to the lab at three?" >&7
sleep 0.6
echo "@chat alice The NAT experiment finally works, see https://example.org/natter" >&7
sleep 0.4
echo "@chat alice 안녕하세요! 저녁에 시간 있어요?" >&8
sleep 1.5
# open the first conversation in the sidebar (Alt+Down), as a user would
xdotool key alt+Down
sleep 1
xdotool type --delay 20 "Yes, see you there. I'll bring the laptop."
xdotool key Return
sleep 1.5
echo "@chat alice Great, thanks!" >&7
shot conversation 2
kill $app; wait $app 2>/dev/null || true

# 4. history: dave, offline now, wrote 2,000 messages over the last days;
# the last 3 are unread, the last 2 of alice's wait for him
"$BUILD/tests/make-history" --unread=3 --queued=2 \
  "$XDG_DATA_HOME/natter/shots/history.sqlite" "$server" dave 2000 >/dev/null
"$BUILD/src/app/natter" --profile=shots --id=alice --server="$server" &
app=$!
PIDS+=($app)
sleep 2
# bob and carol are online, so dave (offline) is third
xdotool key alt+Down alt+Down alt+Down
shot history 1.5
xdotool key ctrl+f
sleep 0.5
xdotool type --delay 30 "needle 1000"
shot search 1.5
xdotool key Return
shot found 1.5
xdotool key ctrl+f Escape
sleep 0.3
# the conversation's menu (top right of the conversation): Clear Conversation…
eval "$(xdotool search --onlyvisible --name '^Natter$' getwindowgeometry --shell | head -n 6)"
xdotool mousemove $((X + WIDTH - 26)) $((Y + 74)) click 1
shot menu 0.7
xdotool mousemove $((X + WIDTH - 71)) $((Y + 154)) click 1
shot clear 1.5
xdotool key Escape
kill $app; wait $app 2>/dev/null || true

# 5. a history file that is not one
mkdir -p "$XDG_DATA_HOME/natter/broken"
head -c 4096 /dev/urandom >"$XDG_DATA_HOME/natter/broken/history.sqlite"
"$BUILD/src/app/natter" --profile=broken --id=erin --server="$server" &
app=$!
shot history-error 2
echo "screenshots in $OUT"
