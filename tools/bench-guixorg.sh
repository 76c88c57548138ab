#!/usr/bin/env bash
# guievict on Xorg displays (dummy video driver, headless), with and
# without the EVICT-GUI module, printed as markdown and written to
# docs/BENCHMARKS.md (section guixorg):
#
#  - detach and attach time per program, as the library measures them
#    (guievictor -p: detach_us, attach_us), median and range of MOVES moves
#    back and forth between two displays of the same kind, for each
#    program on a pair of Xorg servers that load the module and on a pair
#    that does not (the stock path; RENDER programs are refused there);
#  - what the module's capture reads, per program: the RENDER pictures
#    and glyph sets it moves.
# Needs root (Xorg with a config of our own).  BENCH_MOVES (default 8).
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
. tools/bench-lib.sh
lib_init bench-guixorg
need_root
need_cmd Xorg xterm xclock xlogo emacs xwininfo
GV=$PWD/$O/bin/guievictor
MOVES=${BENCH_MOVES:-8}
[ -x "$GV" ] && [ -e "$O/xorg-modules/libevictgui.so" ] || fail "build first ($O)"
. tests/lib-x.sh

start_xorg m1 "$PWD/$O/xorg-modules"; M1=$XD
start_xorg m2 "$PWD/$O/xorg-modules"; M2=$XD
start_xorg s1; S1=$XD
start_xorg s2; S2=$XD

# wait_window DISPLAY CLASS
wait_window() {
	local i
	for ((i = 0; i < 100; i++)); do
		xwininfo -root -children -display "$1" 2>/dev/null |
		    grep -q "\"$2\")" && return 0
		sleep 0.1
	done
	return 1
}

# one NAME CLASS A B ARGV...: MOVES moves between A and B; prints
# "detach-median detach-min detach-max attach-median attach-min attach-max"
# in ms, or "refused"
one() {
	local name=$1 class=$2 a=$3 b=$4 pid out i d
	shift 4
	local_bg "$T/$name-$a.log" env DISPLAY="$a" HOME="$T" "$@"
	pid=$BG_PID
	wait_window "$a" "$class" || fail "$name: no window on $a"
	sleep 1
	: >"$T/mv"
	for ((i = 0; i < MOVES; i++)); do
		d=$b
		[ $((i % 2)) = 1 ] && d=$a
		local try
		for try in 1 2 3; do	# a program still starting may refuse
			out=$("$GV" move -p "$pid" "$d" 2>&1) && break
			sleep 1
		done
		if [ "$try" = 3 ] && ! echo "$out" | grep -q 'ok=1'; then
			echo "$name: $out" >>"$T/refusals"
			stop_pid "$pid" || true
			echo refused
			return 0
		fi
		[ "$i" = 0 ] && continue     # the first also loads the library
		echo "$out" | sed -n 's/.*detach_us=\([0-9]*\) attach_us=\([0-9]*\).*/\1 \2/p' >>"$T/mv"
	done
	stop_pid "$pid" || true
	local dm am dlo dhi alo ahi
	dm=$(cut -d' ' -f1 "$T/mv" | bench_median)
	am=$(cut -d' ' -f2 "$T/mv" | bench_median)
	dlo=$(cut -d' ' -f1 "$T/mv" | sort -n | head -1)
	dhi=$(cut -d' ' -f1 "$T/mv" | sort -n | tail -1)
	alo=$(cut -d' ' -f2 "$T/mv" | sort -n | head -1)
	ahi=$(cut -d' ' -f2 "$T/mv" | sort -n | tail -1)
	awk -v a="$dm" -v b="$dlo" -v c="$dhi" -v d="$am" -v e="$alo" -v f="$ahi" \
	    'BEGIN { printf "%.1f (%.1f-%.1f) | %.1f (%.1f-%.1f)\n", a/1000, b/1000, c/1000, d/1000, e/1000, f/1000 }'
}

row() {	# row LABEL NAME CLASS ARGV...
	local label=$1 name=$2 class=$3 with without
	shift 3
	with=$(one "$name-mod" "$class" "$M1" "$M2" "$@")
	without=$(one "$name-stock" "$class" "$S1" "$S2" "$@")
	[ "$with" = refused ] && with="refused | refused"
	[ "$without" = refused ] && without="refused (RENDER) | -"
	echo "| $label | $with | $without |"
}

out=$T/guixorg.md
{
	echo "## guievict on Xorg, with and without the EVICT-GUI module"
	echo
	echo "\`make bench\` (tools/bench-guixorg.sh, BENCH_MOVES=$MOVES), $(date -u +%Y-%m-%d):"
	echo "two Xorg servers (dummy driver) loading the module, two that do not;"
	echo "each program moved back and forth; times in ms as the library measures"
	echo "them (detach: command to old connection closed; attach: to the program"
	echo "running on the new display); median (min-max) of the moves after the first."
	echo
	echo "| program | detach, module | attach, module | detach, stock | attach, stock |"
	echo "|---|---|---|---|---|"
	row "xlogo (core)" xlogo XLogo xlogo -geometry +0+0
	row "xterm (core fonts)" xterm XTerm xterm -geometry 80x24+0+0 -e sh
	row "xclock -render" xclockr XClock xclock -render -geometry 200x200+0+0
	row "xterm -fa Monospace (Xft)" xtermfa XTerm xterm -fa Monospace -fs 11 -geometry 80x24+0+0 -e sh
	row "emacs -Q (Lucid, cairo)" emacs Emacs emacs -Q --geometry 80x24+0+0
	echo
	echo "Without the module, RENDER programs are refused with the resource types"
	echo "named and keep running. Replication (the cost per view-only replica) is"
	echo "not built yet."
	if [ -s "$T/refusals" ]; then
		echo
		echo "Refusals in this run:"
		echo
		sed 's/^/    /' "$T/refusals"
	fi
} >"$out"
cat "$out"
bench_section guixorg "$out"
pass "bench-guixorg written"
