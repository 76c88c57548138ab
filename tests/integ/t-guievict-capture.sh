#!/usr/bin/env bash
# guievict window sessions between two X servers: real programs (xlogo,
# xlogo -shape, xclock -norender, xterm, xcalc, and xeyes with its RENDER
# and XInput state left behind) run on one Xvfb; gvx-clone captures each
# from a connection of its own, sends the session through its file format
# and regenerates it on a second Xvfb of the same size and depth.  Checked:
# the window tree (xwininfo -tree, ids left out), WM_NAME and WM_CLASS
# (xprop), every window's pixels (xwd, byte for byte: same size, depth and
# position give the same file), and gvx-clone --verify, which captures the
# copy back and compares every resource through the id map (pixmap
# contents, GC values, cursor images, fonts, shapes, grabs).  xcalc also
# goes to a third Xvfb with only the misc fonts, where its missing Symbol
# font is replaced by the closest by least squares.  Programs using RENDER
# pictures or glyph sets (xclock -render, xterm -fa) are refused with a
# cause naming those types, and nothing is created.
. "$(dirname "$0")/../lib.sh"
lib_init guievict-capture
need_cmd Xvfb xlogo xeyes xclock xterm xcalc xwininfo xprop xwd cmp
O=${O:-build}
CLONE=$PWD/$O/tests/helpers/gvx-clone
[ -x "$CLONE" ] || fail "build first ($O/tests/helpers/gvx-clone)"

# Starts CMD in the background (no namespace needed: X uses local
# sockets) and records its pid, so that lib.sh's trap stops it by pid on
# every exit path.
. "$(dirname "$0")/../lib-x.sh"

start_xvfb src
SRC=$XD
start_xvfb dst
DST=$XD
[ "$SRC" != "$DST" ] || fail "both servers on $SRC"
lib_note "source $SRC, target $DST"

# app_window CLASS: waits (10 s) for a viewable top-level window of WM_CLASS
# CLASS on the source; prints its id.
app_window() {
	local class=$1 i id
	for ((i = 0; i < 100; i++)); do
		id=$(xwininfo -root -children -display "$SRC" 2>/dev/null |
		    awk -v c="\"$class\")" '$0 ~ c { print $1; exit }')
		if [ -n "$id" ] && xwininfo -id "$id" -display "$SRC" 2>/dev/null |
		    grep -q 'IsViewable'; then
			sleep 0.5     # let it draw
			echo "$id"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_line FILE PATTERN [TIMEOUT_S]: waits for a line matching PATTERN.
wait_line() {
	local i max=$((${3:-30} * 10))
	for ((i = 0; i < max; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

tree_of() {   # the window tree without ids
	xwininfo -tree -id "$2" -display "$1" | sed -e 's/0x[0-9a-f]*//g' \
	    -e '/^xwininfo:/d' -e '/Root window id/d' -e '/Parent window id/d'
}

# check_app NAME CLASS CLONE_OPTS APP_ARGV...: one program through the
# whole path; leaves nothing running.
check_app() {
	local name=$1 class=$2 opts=$3 wid new app clone i ok
	shift 3
	local_bg "$T/app-$name.log" env DISPLAY="$SRC" "$@"
	app=$BG_PID
	wid=$(app_window "$class") || fail "$name: no window of class $class"
	# shellcheck disable=SC2086 # opts are words
	local_bg "$T/clone-$name.log" "$CLONE" --from "$SRC" --to "$DST" \
	    --verify --save "$T/$name.gvxs" $opts "$wid"
	clone=$BG_PID
	wait_line "$T/clone-$name.log" '^ready' 60 ||
		fail "$name: gvx-clone did not get ready: $(tail -5 "$T/clone-$name.log")"
	grep -q '^verify: ok' "$T/clone-$name.log" ||
		fail "$name: the copy differs: $(grep '^verify' "$T/clone-$name.log" | head -5)"
	new=$(awk -v w="$wid" '$1 == "map" && $2 == "window" && $3 == w {
	    print $4 }' "$T/clone-$name.log")
	[ -n "$new" ] || fail "$name: no new id for window $wid"
	[ -s "$T/$name.gvxs" ] || fail "$name: no session file"

	tree_of "$SRC" "$wid" >"$T/$name.tree1"
	tree_of "$DST" "$new" >"$T/$name.tree2"
	cmp -s "$T/$name.tree1" "$T/$name.tree2" ||
		fail "$name: window trees differ: $(diff "$T/$name.tree1" "$T/$name.tree2" | head -6)"
	xprop -display "$SRC" -id "$wid" WM_NAME WM_CLASS >"$T/$name.prop1"
	xprop -display "$DST" -id "$new" WM_NAME WM_CLASS >"$T/$name.prop2"
	grep -q 'WM_CLASS(STRING)' "$T/$name.prop1" || fail "$name: no WM_CLASS"
	cmp -s "$T/$name.prop1" "$T/$name.prop2" ||
		fail "$name: properties differ: $(cat "$T/$name.prop1" "$T/$name.prop2")"
	# Pixels: a program that redraws (a clock at a minute's turn) may
	# differ for a moment: three tries.
	ok=0
	for ((i = 0; i < 3; i++)); do
		xwd -silent -id "$wid" -display "$SRC" >"$T/$name.1.xwd"
		xwd -silent -id "$new" -display "$DST" >"$T/$name.2.xwd"
		if [ -s "$T/$name.1.xwd" ] && cmp -s "$T/$name.1.xwd" "$T/$name.2.xwd"
		then
			ok=1
			break
		fi
		sleep 0.5
	done
	[ "$ok" = 1 ] || fail "$name: pixels differ (xwd: $(cmp "$T/$name.1.xwd" "$T/$name.2.xwd" 2>&1 | head -1))"
	lib_note "$name: $(grep '^captured' "$T/clone-$name.log" | cut -d: -f3-)"
	stop_pid "$clone" || true
	stop_pid "$app" || true
	# the copy went with its client
	for ((i = 0; i < 30; i++)); do
		xwininfo -root -children -display "$DST" | grep -q ' 0 children' &&
			break
		sleep 0.1
	done
	xwininfo -root -children -display "$DST" | grep -q ' 0 children' ||
		fail "$name: windows left on $DST after the copy ended"
}

check_app xlogo XLogo "" xlogo
check_app xlogo-shape XLogo "" xlogo -shape
check_app xclock XClock "" xclock -norender -update 3600
check_app xterm XTerm "" xterm -e sh -c 'echo gvx; exec cat'
grep -q '^map cursor' "$T/clone-xterm.log" || fail "xterm: no cursor moved"
grep -q '^captured: .* 12 passive grabs' "$T/clone-xterm.log" ||
	fail "xterm: passive grabs: $(grep '^captured' "$T/clone-xterm.log")"
grep -q '^loss: 1 XkbClient' "$T/clone-xterm.log" ||
	fail "xterm: the XKB selection is not reported lost"
check_app xcalc XCalc "" xcalc
check_app xeyes XEyes --partial xeyes
for t in PICTURE INPUTCLIENT; do
	grep -q "^loss: [0-9]* $t:" "$T/clone-xeyes.log" ||
		fail "xeyes: the lost $t is not reported"
done
grep -q '(partial)' "$T/clone-xeyes.log" || fail "xeyes: not marked partial"

# refuse_app NAME CLASS TYPES APP_ARGV...: capture is refused naming TYPES
refuse_app() {
	local name=$1 class=$2 types=$3 wid app rc t
	shift 3
	local_bg "$T/app-$name.log" env DISPLAY="$SRC" "$@"
	app=$BG_PID
	wid=$(app_window "$class") || fail "$name: no window of class $class"
	rc=0
	timeout 60 "$CLONE" --from "$SRC" --to "$DST" "$wid" \
	    >"$T/clone-$name.log" 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "$name: gvx-clone exited $rc, not 2 (refused)"
	for t in $types; do
		grep -q "^refused: cannot move: .*[0-9] $t" "$T/clone-$name.log" ||
			fail "$name: the cause does not name $t: $(cat "$T/clone-$name.log")"
	done
	xwininfo -root -children -display "$DST" | grep -q ' 0 children' ||
		fail "$name: a refused capture created windows on $DST"
	lib_note "$name: $(grep '^refused' "$T/clone-$name.log")"
	stop_pid "$app" || true
}

# A target without the program's fonts: each missing font becomes the
# target's closest by least squares over its geometry.
start_xvfb misc -fp /usr/share/fonts/X11/misc,built-ins
MISC=$XD
local_bg "$T/app-xcalc2.log" env DISPLAY="$SRC" xcalc
app=$BG_PID
wid=$(app_window XCalc) || fail "xcalc: no window"
local_bg "$T/clone-misc.log" "$CLONE" --from "$SRC" --to "$MISC" --verify "$wid"
clone=$BG_PID
wait_line "$T/clone-misc.log" '^ready' 60 ||
	fail "xcalc to $MISC: not ready: $(tail -5 "$T/clone-misc.log")"
grep -q 'Adobe-Symbol.* is missing; using -' "$T/clone-misc.log" ||
	fail "xcalc to $MISC: no replacement for the Symbol font: $(grep -i font "$T/clone-misc.log")"
if grep '^verify: differs' "$T/clone-misc.log" | grep -v -e ': font$' -e ': name$'
then
	fail "xcalc to $MISC: differences besides fonts"
fi
new=$(awk -v w="$wid" '$1 == "map" && $2 == "window" && $3 == w { print $4 }' \
    "$T/clone-misc.log")
tree_of "$SRC" "$wid" >"$T/misc.tree1"
tree_of "$MISC" "$new" >"$T/misc.tree2"
cmp -s "$T/misc.tree1" "$T/misc.tree2" || fail "xcalc to $MISC: trees differ"
lib_note "xcalc to $MISC: $(grep -o 'using .*' "$T/clone-misc.log" | head -1)"
stop_pid "$clone" || true
stop_pid "$app" || true

refuse_app xclock-render XClock PICTURE xclock -render
if fc-match Monospace >/dev/null 2>&1; then
	refuse_app xterm-fa XTerm "PICTURE GLYPHSET" xterm -fa Monospace
fi

pass "xlogo, xlogo -shape, xclock, xterm, xcalc and xeyes (partial) moved $SRC -> $DST with equal trees, properties and pixels; missing fonts replaced by least squares; RENDER users refused"
