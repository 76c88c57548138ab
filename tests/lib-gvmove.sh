# shellcheck shell=bash
# tests/lib-gvmove.sh: moving programs with guievictor in tests (source
# after tests/lib.sh, lib_init and tests/lib-x.sh, whose window helpers
# park, app_window, same_pixels, type_line, gone_from and wait_file it
# uses).  The caller sets GV (guievictor), CMP (gvm-xwdcmp), SRC and DST.
#
#   geom_of DISPLAY WID          WxH+X+Y of a window
#   app_ok NAME PID              alive, no X error or I/O error in its log
#                                ($T/app-NAME.log)
#   gv VERB PID [DISPLAY]        guievictor, porcelain; output in GV_OUT
#   type_sexp DISPLAY WID SEXP   types SEXP into Emacs and evaluates it
#   same_minute                  waits, in the last 25 s of a minute, for
#                                the next one (a clock's hands)
#   check_app NAME CLASS ARGV... there and back again: geometry, pixels,
#                                typed input (XTerm, Emacs), no error, then
#                                stopped

geom_of() {	# WxH+X+Y of a window
	xwininfo -id "$2" -display "$1" | awk '
	    /Absolute upper-left X/ { x = $NF } /Absolute upper-left Y/ { y = $NF }
	    /Width:/ { w = $NF } /Height:/ { h = $NF }
	    END { printf "%sx%s+%s+%s\n", w, h, x, y }'
}

# app_ok NAME PID: alive, and no X error or I/O error in its output.
app_ok() {
	lib__alive "$2" || fail "$1: the program died: $(tail -5 "$T/app-$1.log")"
	if grep -Eqi 'X Error|XIO|fatal IO|BadAccess|BadWindow|BadMatch' \
	    "$T/app-$1.log"; then
		fail "$1: the program saw an X error: $(grep -Ei 'error|XIO' "$T/app-$1.log" | head -3)"
	fi
}

# gv VERB PID [DISPLAY]: guievictor, porcelain; notes the times.
gv() {
	local out rc=0
	out=$(timeout 120 "$GV" "$1" -p "${@:2}" 2>"$T/gv.err") || rc=$?
	echo "$out" >>"$T/gv.log"
	[ "$rc" = 0 ] || fail "guievictor $*: exit $rc: $(cat "$T/gv.err") $out"
	GV_OUT=$out
}

# type_sexp DISPLAY WID SEXP: types SEXP into an Emacs *scratch* buffer
# and evaluates it (C-j).
type_sexp() {
	{
		DISPLAY=$1 xdotool mousemove --window "$2" 20 20 \
		    windowfocus --sync "$2" type --delay 5 "$3"
		DISPLAY=$1 xdotool key ctrl+j
	} >>"$T/xdotool.log" 2>&1
	park
}

# check_app NAME CLASS APP_ARGV...: there and back again.
# A clock's hands move at each minute: its screenshots before and after
# the moves are compared within one minute (it starts in the first 35 s).
same_minute() {
	local s
	s=$(date +%S)
	s=${s#0}
	if [ "$s" -gt 35 ]; then
		sleep $((61 - s))
	fi
}

check_app() {
	local name=$1 class=$2 pid wid geom wid2 geom2 d from
	shift 2
	[ "$class" = XClock ] && same_minute
	park
	local_bg "$T/app-$name.log" env DISPLAY="$SRC" "$@"
	pid=$BG_PID
	wid=$(app_window "$SRC" "$class") || fail "$name: no window on $SRC"
	sleep 1		# let it draw
	geom=$(geom_of "$SRC" "$wid")
	xwd -silent -id "$wid" -display "$SRC" >"$T/$name.ref.xwd"
	from=$SRC
	for d in "$DST" "$SRC"; do
		gv move "$pid" "$d"
		lib_note "$name $from -> $d: $GV_OUT"
		wid2=$(app_window "$d" "$class") || fail "$name: no window on $d"
		geom2=$(geom_of "$d" "$wid2")
		[ "$geom2" = "$geom" ] ||
			fail "$name: geometry $geom on $from, $geom2 on $d"
		gone_from "$from" "$class" || fail "$name: its window stayed on $from"
		same_pixels "$name" "$d" "$wid2" "$T/$name.ref.xwd"
		if [ "$class" = XTerm ] || [ "$class" = Emacs ]; then
			rm -f "$T/typed-$name"
			if [ "$class" = XTerm ]; then
				# bold and double-width text: drawn with the
				# fonts a move leaves unopened until first
				# named (compared after the next move)
				type_line "$d" "$wid2" "printf '\\033[1mbold\\033[0m \\344\\270\\255\\n'; touch $T/typed-$name"
			else
				type_sexp "$d" "$wid2" \
				    "(with-temp-file \"$T/typed-$name\" (insert \"ok\"))"
			fi
			wait_file "$T/typed-$name" ||
				fail "$name: typing on $d after the move ran nothing"
			sleep 0.5
			xwd -silent -id "$wid2" -display "$d" >"$T/$name.ref.xwd"
		fi
		app_ok "$name" "$pid"
		from=$d
	done
	stop_pid "$pid" || true
}
