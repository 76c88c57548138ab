#!/usr/bin/env bash
# RENDER programs move between two Xorg displays that load the EVICT-GUI
# module (dummy video driver, headless): xclock -render (RENDER pictures,
# antialiased hands), xterm -fa Monospace (Xft: glyph sets, pictures on
# its window) and GNU Emacs (Lucid toolkit, cairo: pictures on freed
# pixmaps, a DBE back buffer, an event selection on the root), each there
# and back; a sexp typed into the moved Emacs is evaluated.  Checked after every move, as for the
# core programs: alive, same geometry, a screenshot equal to the one taken
# before (tolerance 0: same server, driver and fonts on both displays),
# input typed into the xterm runs, no X error.  Then the refusal on a
# stock server: the same xclock -render on Xvfb (no module) is refused
# with PICTURE named, and keeps running where it was.
. "$(dirname "$0")/../lib.sh"
lib_init guievict-render
need_root
need_cmd Xorg Xvfb xterm xclock emacs xwininfo xwd xdotool fc-list
O=${O:-build}
GV=$PWD/$O/bin/guievictor
CMP=$PWD/$O/tests/helpers/gvm-xwdcmp
MODDIR=$PWD/$O/xorg-modules
[ -x "$GV" ] && [ -x "$CMP" ] && [ -r "$PWD/$O/lib/libguievict.so" ] &&
	[ -e "$MODDIR/libevictgui.so" ] ||
	fail "build first (guievictor, libguievict.so, gvm-xwdcmp, the Xorg module)"
[ -f /usr/lib/xorg/modules/drivers/dummy_drv.so ] ||
	skip "no dummy video driver (xserver-xorg-video-dummy)"
fc-list | grep -qi 'DejaVu Sans Mono' || skip "no DejaVu Sans Mono for xterm -fa"

. "$(dirname "$0")/../lib-x.sh"
. "$(dirname "$0")/../lib-gvmove.sh"

start_xorg src "$MODDIR"
SRC=$XD
start_xorg dst "$MODDIR"
DST=$XD
lib_note "source $SRC, target $DST (Xorg, dummy driver, EVICT-GUI)"

check_app xclock-render XClock xclock -render -geometry 200x200+0+0
check_app xterm-xft XTerm xterm -fa Monospace -fs 11 -geometry 70x20+0+0 -e sh
check_app emacs Emacs env HOME="$T" emacs -Q --geometry 80x24+0+0 \
    --eval '(blink-cursor-mode 0)'
lib_note "ok: xclock -render, xterm -fa and emacs move there and back with identical pixels"

# ---- without the module: refused, named, left running ---------------------
start_xvfb stock
STOCK=$XD
SRC=$STOCK
park
local_bg "$T/app-stock.log" env DISPLAY="$STOCK" xclock -render -geometry +0+0
RPID=$BG_PID
app_window "$STOCK" XClock >/dev/null || fail "xclock -render: no window on Xvfb"
rc=0
"$GV" move "$RPID" "$DST" >"$T/refused.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "stock server: move exited $rc: $(cat "$T/refused.out")"
grep -q "cannot move: .*PICTURE" "$T/refused.out" ||
	fail "the refusal does not name PICTURE: $(cat "$T/refused.out")"
app_window "$STOCK" XClock >/dev/null || fail "xclock -render lost its window"
app_ok stock "$RPID"
pass "on a stock server the move is refused with PICTURE named, the program stays"
