#!/usr/bin/env bash
# An xterm detached for 5 minutes attaches again, on another display, and
# works; meanwhile it keeps serving its shell and stays idle.
#
# The xterm runs a writer script: it prints a few fixed lines, and on the
# test's word (once the xterm is detached) switches to the alternate
# screen, writes ten lines every second over the top ten (about 280 KB in
# all: far more than the pty holds, so the writer only gets through if the
# detached xterm keeps reading; in place, since a scroll is a CopyArea
# whose NoExpose xterm waits for before it reads on, and no server answers
# a detached program), switches back to the main screen, then runs the lines typed
# into the terminal.  Over the 300 s: every 30 s the xterm is alive, still
# detached (guievictor list) and the writer's count has moved on; its CPU
# time (utime + stime, /proc/PID/stat) over the whole wait stays under
# 3 s (1%: a busy loop on the placeholder socket would take the whole 300 s).
# Then `guievictor attach` to the other display: its window has the
# geometry it had, a screenshot of it equals the one taken just before the
# detach (tolerance 0, as in t-guievict-move: the main screen is back as it
# was, and the pointer is parked off the windows), a command typed into it
# (xdotool) runs, and it never wrote an X error.
. "$(dirname "$0")/../lib.sh"
lib_init guievict-detach
need_cmd Xvfb xterm xwininfo xwd xdotool
O=${O:-build}
GV=$PWD/$O/bin/guievictor
CMP=$PWD/$O/tests/helpers/gvm-xwdcmp
[ -x "$GV" ] && [ -x "$CMP" ] && [ -r "$PWD/$O/lib/libguievict.so" ] ||
	fail "build first ($O/bin/guievictor, $O/lib/libguievict.so, $CMP)"
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
[ "$(id -u)" = 0 ] || [ "$scope" = 0 ] ||
	skip "ptrace_scope is $scope: guievictor may not attach to a non-child"
DETACH_S=300
CHECKS=10	# checks during the wait, one every DETACH_S / CHECKS s
CPU_MAX_S=3
. "$(dirname "$0")/../lib-x.sh"
. "$(dirname "$0")/../lib-gvmove.sh"

start_xvfb src
SRC=$XD
start_xvfb dst
DST=$XD
lib_note "source $SRC, target $DST"

# The writer: fixed lines; on $T/go, DETACH_S - 20 s of output on the
# alternate screen (its count in $T/count); back; $T/written; then the
# terminal's lines are run.
cat >"$T/writer.sh" <<EOF
printf 'guievict: detached for $DETACH_S s\\n'
printf '%s\\n' 'the quick brown fox jumps over the lazy dog' '0123456789 ~!@#\$%^&*()'
i=0
while [ ! -e "$T/go" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
printf '\\033[?1049h'
n=0
end=\$((\$(date +%s) + $DETACH_S - 20))
while [ "\$(date +%s)" -lt "\$end" ]; do
	printf '\033[H'
	for j in 0 1 2 3 4 5 6 7 8 9; do
		printf 'line %06d.%d while detached: %s\\n' \$n \$j \\
		    'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789'
	done
	n=\$((n + 1))
	echo \$n >"$T/count"
	sleep 1
done
printf '\\033[?1049l'
touch "$T/written"
while read -r cmd; do eval "\$cmd"; done
EOF

# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

xterm_ok() {
	lib__alive "$XPID" || fail "the xterm died: $(tail -5 "$T/app-xterm.log")"
	if grep -Eqi 'X Error|XIO|fatal IO|BadAccess|BadWindow|BadMatch' \
	    "$T/app-xterm.log"; then
		fail "the xterm saw an X error: $(grep -Ei 'error|XIO' "$T/app-xterm.log" | head -3)"
	fi
}

park
local_bg "$T/app-xterm.log" env DISPLAY="$SRC" xterm -geometry 80x24+0+0 \
    -e sh "$T/writer.sh"
XPID=$BG_PID
wid=$(app_window "$SRC" XTerm) || fail "no xterm window on $SRC"
sleep 1		# let it draw
geom=$(geom_of "$SRC" "$wid")
xwd -silent -id "$wid" -display "$SRC" >"$T/xterm.ref.xwd"

out=$(timeout 60 "$GV" detach -p "$XPID" 2>&1) || fail "guievictor detach: $out"
grep -q 'state=detached' <<<"$out" || fail "detach: $out"
lib_note "detach: $out"
gone_from "$SRC" XTerm || fail "the detached xterm's window is still on $SRC"
touch "$T/go"

ticks=$(getconf CLK_TCK)
cpu0=$(cpu_ticks "$XPID")
n_prev=0
for ((c = 1; c <= CHECKS; c++)); do
	lib_sleep $((DETACH_S / CHECKS))
	xterm_ok
	"$GV" list -p >"$T/list.txt"
	grep -q "pid=$XPID .*state=detached" "$T/list.txt" ||
		fail "after $((c * DETACH_S / CHECKS)) s: not detached: $(cat "$T/list.txt")"
	n=$(cat "$T/count" 2>/dev/null || echo 0)
	if [ ! -e "$T/written" ] && [ "$n" -le "$n_prev" ]; then
		fail "after $((c * DETACH_S / CHECKS)) s: the writer is stuck at $n seconds of output (the detached xterm stopped reading its pty)"
	fi
	n_prev=$n
done
cpu1=$(cpu_ticks "$XPID")
wait_file "$T/written" ||
	fail "the writer did not finish while the xterm was detached (count $(cat "$T/count"))"
cpu_ms=$(( (cpu1 - cpu0) * 1000 / ticks ))
lib_note "detached $DETACH_S s: writer wrote $(cat "$T/count") s of output; xterm used $cpu_ms ms of CPU"
[ "$cpu_ms" -lt $((CPU_MAX_S * 1000)) ] ||
	fail "the detached xterm used $cpu_ms ms of CPU in $DETACH_S s (a busy loop?)"

out=$(timeout 60 "$GV" attach -p "$XPID" "$DST" 2>&1) || fail "guievictor attach: $out"
lib_note "attach: $out"
wid=$(app_window "$DST" XTerm) || fail "no xterm window on $DST after the attach"
geom2=$(geom_of "$DST" "$wid")
[ "$geom2" = "$geom" ] || fail "geometry $geom on $SRC, $geom2 on $DST"
same_pixels xterm "$DST" "$wid" "$T/xterm.ref.xwd"
type_line "$DST" "$wid" "touch $T/typed"
wait_file "$T/typed" || fail "typing into the attached xterm ran nothing"
xterm_ok
stop_pid "$XPID" || true

pass "an xterm detached $DETACH_S s ($cpu_ms ms of CPU) served its shell, attached to $DST with the same geometry and pixels, and runs what is typed"
