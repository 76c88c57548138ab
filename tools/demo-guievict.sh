#!/usr/bin/env bash
# The guievict part of `make demo`: an xterm started on one virtual display
# (Xvfb) is moved, while it runs, to another; a command typed there runs.
# Then it goes back, and is detached and attached again.  Every step says
# what it did and how long it took; the final check is the file the typed
# command made.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init demo-guievict
need_cmd Xvfb xterm xwininfo xdotool
GV=$PWD/$O/bin/guievictor
[ -x "$GV" ] && [ -r "$O/lib/libguievict.so" ] || fail "build first ($O)"

. tests/lib-x.sh

window_on() {	# window_on DISPLAY: the xterm's window there, or nothing
	local i id
	for ((i = 0; i < 50; i++)); do
		id=$(xwininfo -root -children -display "$1" 2>/dev/null |
		    awk '/"XTerm"\)/ { print $1; exit }')
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}

type_on() {	# type_on DISPLAY TEXT
	local w
	w=$(window_on "$1") || fail "no xterm window on $1"
	DISPLAY=$1 xdotool mousemove --window "$w" 20 20 windowfocus --sync "$w" \
	    type --delay 5 "$2
" >/dev/null 2>&1
}

wait_file() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

start_xvfb one
ONE=$XD
start_xvfb two
TWO=$XD
echo
echo "evict demo: guievict moves a running xterm between two X displays"
echo "virtual displays: $ONE and $TWO (Xvfb)"
echo
local_bg "$T/xterm.log" env DISPLAY="$ONE" xterm -geometry 80x24+0+0 -e sh
XT=$BG_PID
window_on "$ONE" >/dev/null || fail "xterm did not show up on $ONE"
echo "1. xterm (process $XT) runs on $ONE"
sleep 0.5
type_on "$ONE" "echo typed on $ONE"

echo "2. guievictor move $XT $TWO"
"$GV" move "$XT" "$TWO" | sed 's/^/   /' || fail "move failed"
window_on "$TWO" >/dev/null || fail "no xterm window on $TWO"
echo "   its window is now on $TWO: $(xwininfo -root -children -display "$TWO" | grep -c '"XTerm")') there, $(xwininfo -root -children -display "$ONE" | grep -c '"XTerm")') on $ONE"

echo "3. typing into it on $TWO: touch $T/typed-on-two"
type_on "$TWO" "touch $T/typed-on-two"
wait_file "$T/typed-on-two" || fail "the typed command did not run"
echo "   the command ran: $T/typed-on-two exists"

echo "4. guievictor move $XT $ONE (and back)"
"$GV" move "$XT" "$ONE" | sed 's/^/   /' || fail "move back failed"

echo "5. guievictor detach $XT; guievictor list"
"$GV" detach "$XT" | sed 's/^/   /' || fail "detach failed"
"$GV" list | sed 's/^/   /'
echo "   (the shell in it keeps running; the window is nowhere)"
sleep 1
echo "6. guievictor attach $XT $TWO"
"$GV" attach "$XT" "$TWO" | sed 's/^/   /' || fail "attach failed"
type_on "$TWO" "touch $T/typed-after-attach"
wait_file "$T/typed-after-attach" || fail "typing after attach ran nothing"
echo "   typed again on $TWO: it ran"
lib__alive "$XT" || fail "xterm died"
stop_pid "$XT" >/dev/null 2>&1 || true
echo
pass "guievict demo finished"
