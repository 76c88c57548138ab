#!/usr/bin/env bash
# The EVICT-GUI Xorg module (guievict/xorg/) in a real Xorg with the dummy
# video driver:
#  - it loads and announces the extension; gvx-evgui sets windows, GCs,
#    cursors, RENDER pictures and glyph sets to values other than the
#    defaults and reads every one back through the extension (368 checks,
#    among them the event mask of a client other than the creator, an ARGB
#    cursor, gradients, a convolution filter and glyph images of depth 8
#    and 1, read in pages);
#  - bad requests (gvx-evgui-bad, over raw connections in both byte
#    orders): unknown minor opcodes, every request too short, too long,
#    header only and 60 words, ids naming nothing or a resource of another
#    type, and 3000 random requests with several seeds: each gets its X
#    error or a reply, in order, and the server keeps answering;
#  - after all that the server is alive, its log holds no crash, and the
#    checks pass again;
#  - a stock server (Xvfb) has no such extension: gvx-evgui says so (exit 2).
. "$(dirname "$0")/../lib.sh"
lib_init guievict-xorgmod
need_root
need_cmd Xorg Xvfb xwininfo xdpyinfo
O=${O:-build}
MODDIR=$PWD/$O/xorg-modules
EVGUI=$PWD/$O/tests/helpers/gvx-evgui
BAD=$PWD/$O/tests/helpers/gvx-evgui-bad
[ -f /usr/lib/xorg/modules/drivers/dummy_drv.so ] ||
	skip "no dummy video driver (xserver-xorg-video-dummy)"
for f in "$MODDIR/libevictgui.so" "$EVGUI" "$BAD"; do
	[ -e "$f" ] || fail "build first ($f)"
done

. "$(dirname "$0")/../lib-x.sh"

start_xorg mod "$MODDIR"
MOD=$XD
grep -q 'Initializing extension EVICT-GUI' "$T/xorg-mod.log" ||
	fail "Xorg did not initialize EVICT-GUI: $(grep -i evict "$T/xorg-mod.log")"
xdpyinfo -display "$MOD" -queryExtensions | grep -q 'EVICT-GUI' ||
	fail "xdpyinfo does not list EVICT-GUI on $MOD"
lib_note "ok: the module loads in Xorg (dummy driver) and announces EVICT-GUI"

"$EVGUI" "$MOD" >"$T/evgui.out" 2>&1 || fail "read-back checks: $(cat "$T/evgui.out")"
grep -q '^gvx-evgui: 368 checks, 0 failed' "$T/evgui.out" ||
	fail "unexpected check count: $(cat "$T/evgui.out")"
lib_note "ok: every value set is read back exactly (368 checks)"

for seed in 1 2 3; do
	"$BAD" "$MOD" "$seed" >"$T/bad-$seed.out" 2>&1 ||
		fail "bad requests (seed $seed): $(tail -5 "$T/bad-$seed.out")"
done
lib_note "ok: bad requests in both byte orders get their errors, in order ($(tail -1 "$T/bad-1.out"))"

xwininfo -root -display "$MOD" >/dev/null || fail "Xorg stopped answering"
lib__alive "$BG_PID" || fail "Xorg is gone"
if grep -E 'Segmentation fault|Backtrace|Caught signal' "$T/xorg-mod.log"; then
	fail "Xorg's log shows a crash"
fi
"$EVGUI" "$MOD" >"$T/evgui2.out" 2>&1 || fail "checks after the abuse: $(cat "$T/evgui2.out")"
lib_note "ok: the server is alive, its log clean, and the checks pass again"

start_xvfb stock
rc=0
"$EVGUI" "$XD" >"$T/stock.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "on a stock Xvfb gvx-evgui exited $rc: $(cat "$T/stock.out")"
pass "a stock server has no EVICT-GUI (exit 2)"
