#!/usr/bin/env bash
# guievictor moves running programs between two Xvfb displays and back.
#
# xlogo, xlogo -shape (SHAPE), xclock -norender, xcalc and xterm each
# start on the source display, alone (xeyes is not among them: in every
# mode it uses RENDER pictures, XFIXES regions and an XInput selection,
# which a stock server does not let guievict read).  For each: `guievictor move PID DST` (the first command
# loads libguievict.so into it), then back to the source.  Checked after
# every move: the process is alive; its top-level window exists on the new
# display with the same size and position; a screenshot of it (xwd) equals
# the one taken before the first move, pixel for pixel (tolerance 0: the
# pointer is parked outside the windows on both displays, so focus and
# hover states are the same; a clock starts early in a minute, so that its
# hands do not move between the screenshots); and the program wrote no X
# error and no I/O error.
# In the moved xterm, a command typed with xdotool (XTEST) runs: its file
# appears, after it printed bold and double-width text (fonts a move
# opens only when the program first names them), which the next move must
# show again pixel for pixel.  xclock -render (RENDER pictures) is refused with the types
# named, and stays attached, running, where it was.  Then an xterm is
# detached (guievictor list says so), waits (2 s; t-guievict-detach waits
# 5 minutes) while its shell writes to it, is attached to
# the other display and still runs what is typed; and it is moved 20 times
# in a row and still works.  Detach and attach times are noted.
. "$(dirname "$0")/../lib.sh"
lib_init guievict-move
need_cmd Xvfb xterm xlogo xclock xcalc xwininfo xwd xdotool
O=${O:-build}
GV=$PWD/$O/bin/guievictor
CMP=$PWD/$O/tests/helpers/gvm-xwdcmp
[ -x "$GV" ] && [ -x "$CMP" ] && [ -r "$PWD/$O/lib/libguievict.so" ] ||
	fail "build first ($O/bin/guievictor, $O/lib/libguievict.so, $CMP)"
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
[ "$(id -u)" = 0 ] || [ "$scope" = 0 ] ||
	skip "ptrace_scope is $scope: guievictor may not attach to a non-child"
DETACH_S=2	# 300 s: t-guievict-detach

# Starts CMD in the background (X needs no namespace) and records its pid,
# so that lib.sh's trap stops it by pid on every exit path.
. "$(dirname "$0")/../lib-x.sh"

. "$(dirname "$0")/../lib-gvmove.sh"

start_xvfb src
SRC=$XD
start_xvfb dst
DST=$XD
lib_note "source $SRC, target $DST"

check_app xlogo XLogo xlogo -geometry +0+0
check_app xlogo-shape XLogo xlogo -shape -geometry +0+0
check_app xclock XClock xclock -norender -geometry +0+0
check_app xcalc XCalc xcalc -geometry +0+0
check_app xterm XTerm xterm -geometry 80x24+0+0 -e sh

# ---- a program that cannot move: refused, named, left running -----------------------
park
local_bg "$T/app-xclock-render.log" env DISPLAY="$SRC" xclock -render -geometry +0+0
RPID=$BG_PID
wid=$(app_window "$SRC" XClock) || fail "xclock -render: no window"
rc=0
"$GV" move "$RPID" "$DST" >"$T/refused.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "xclock -render: move exited $rc: $(cat "$T/refused.out")"
grep -q "cannot move: .*PICTURE.*still attached" "$T/refused.out" ||
	fail "xclock -render: the refusal does not name PICTURE: $(cat "$T/refused.out")"
lib_note "xclock -render: $(grep cannot "$T/refused.out")"
"$GV" list -p | grep -q "pid=$RPID .*state=attached display=$SRC" ||
	fail "xclock -render is not attached to $SRC any more: $("$GV" list -p)"
xwininfo -root -children -display "$DST" | grep -q '"XClock")' &&
	fail "a refused move left a window on $DST"
app_window "$SRC" XClock >/dev/null || fail "xclock -render lost its window"
app_ok xclock-render "$RPID"
stop_pid "$RPID" || true

# ---- detached for a while, then attached elsewhere ---------------------------------
park
local_bg "$T/app-xterm2.log" env DISPLAY="$SRC" xterm -geometry 80x24+0+0 -e sh
XPID=$BG_PID
wid=$(app_window "$SRC" XTerm) || fail "xterm2: no window"
sleep 0.5
type_line "$SRC" "$wid" "(sleep 1; echo written-while-detached; touch $T/shell-ran) &"
gv detach "$XPID"
grep -q 'state=detached' <<<"$GV_OUT" || fail "detach: $GV_OUT"
lib_note "xterm detach: $GV_OUT"
"$GV" list -p >"$T/list.txt"
grep -q "pid=$XPID .*state=detached" "$T/list.txt" ||
	fail "guievictor list does not show the detached xterm: $(cat "$T/list.txt")"
gone_from "$SRC" XTerm || fail "the detached xterm's window is still on $SRC"
lib_note "detached for $DETACH_S s"
lib_sleep "$DETACH_S"
wait_file "$T/shell-ran" || fail "the shell in the detached xterm did not run"
app_ok xterm2 "$XPID"
gv attach "$XPID" "$DST"
lib_note "xterm attach: $GV_OUT"
wid=$(app_window "$DST" XTerm) || fail "xterm2: no window on $DST after attach"
type_line "$DST" "$wid" "touch $T/typed-after-detach"
wait_file "$T/typed-after-detach" ||
	fail "typing into the xterm attached after $DETACH_S s ran nothing"
app_ok xterm2 "$XPID"

# ---- 20 moves in a row ------------------------------------------------------------
d=$SRC
for ((i = 1; i <= 20; i++)); do
	gv move "$XPID" "$d"
	[ "$d" = "$SRC" ] && d=$DST || d=$SRC
done
grep -o 'detach_us=[0-9]* attach_us=[0-9]*' "$T/gv.log" | tail -20 >"$T/times"
lib_note "20 moves: $(awk -F'[= ]' '{ d += $2; a += $4 } END {
    printf "mean detach %.1f ms, attach %.1f ms", d / NR / 1000, a / NR / 1000 }' "$T/times")"
d=$([ "$d" = "$SRC" ] && echo "$DST" || echo "$SRC")	# where it is now
wid=$(app_window "$d" XTerm) || fail "xterm: no window on $d after 20 moves"
type_line "$d" "$wid" "touch $T/typed-after-20"
wait_file "$T/typed-after-20" || fail "typing after 20 moves ran nothing"
app_ok xterm2 "$XPID"
"$GV" list -p | grep -q "pid=$XPID .*moves=21" ||
	fail "list: $("$GV" list -p)"
stop_pid "$XPID" || true

pass "xlogo, xlogo -shape, xclock -norender, xcalc and xterm moved $SRC -> $DST -> $SRC with the same geometry and pixels, typing works; an xterm detached $DETACH_S s works on attach, and after 20 moves"
