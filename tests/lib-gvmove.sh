# shellcheck shell=bash
# tests/lib-gvmove.sh: moving programs with guievictor in tests (source
# after tests/lib.sh, lib_init and tests/lib-x.sh).  The caller sets GV
# (guievictor), CMP (gvm-xwdcmp), SRC and DST (displays).
#
#   park                         the pointer outside every window, at the
#                                same place on both displays
#   app_window DISPLAY CLASS     id of a viewable top level of WM_CLASS
#                                CLASS (waits 10 s), or fails (status 1)
#   geom_of DISPLAY WID          WxH+X+Y of a window
#   app_ok NAME PID              alive, no X error or I/O error in its log
#                                ($T/app-NAME.log)
#   gv VERB PID [DISPLAY]        guievictor, porcelain; output in GV_OUT
#   same_pixels NAME D WID REF   a screenshot of WID equals REF (3 tries)
#   type_line DISPLAY WID TEXT   types TEXT, then Return (XTEST)
#   type_sexp DISPLAY WID SEXP   types SEXP into Emacs and evaluates it
#   gone_from DISPLAY CLASS      no top level of CLASS there (3 s)
#   wait_file PATH               PATH appears within 5 s
#   check_app NAME CLASS ARGV... there and back again: geometry, pixels,
#                                typed input (XTerm, Emacs), no error, then
#                                stopped
park() {
	DISPLAY=$SRC xdotool mousemove 790 590 2>/dev/null
	DISPLAY=$DST xdotool mousemove 790 590 2>/dev/null
	true
}

app_window() {
	local d=$1 class=$2 i id
	for ((i = 0; i < 100; i++)); do
		id=$(xwininfo -root -children -display "$d" 2>/dev/null |
		    awk -v c="\"$class\")" '$0 ~ c { print $1; exit }')
		if [ -n "$id" ] && xwininfo -id "$id" -display "$d" 2>/dev/null |
		    grep -q 'IsViewable'; then
			echo "$id"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

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

# same_pixels NAME DISPLAY WID REF: a screenshot of WID equals REF (3 tries).
same_pixels() {
	local name=$1 d=$2 wid=$3 ref=$4 i out=
	for ((i = 0; i < 3; i++)); do
		sleep 0.3
		xwd -silent -id "$wid" -display "$d" >"$T/$name.now.xwd" 2>/dev/null
		out=$("$CMP" "$ref" "$T/$name.now.xwd") && return 0
	done
	fail "$name on $d: the window looks different: $out"
}

# type_line DISPLAY WID TEXT: types TEXT and Return (XTEST) into an xterm.
# (Return as a key of its own: a typed newline is no Return on Xorg
# without a keyboard device.)
type_line() {
	{
		DISPLAY=$1 xdotool mousemove --window "$2" 20 20 \
		    windowfocus --sync "$2" type --delay 5 "$3"
		DISPLAY=$1 xdotool key Return
	} >>"$T/xdotool.log" 2>&1
	park
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

# gone_from DISPLAY CLASS: no top level of CLASS there (the server sees the
# old connection close when the program's poll on it has returned: 3 s).
gone_from() {
	local i
	for ((i = 0; i < 30; i++)); do
		xwininfo -root -children -display "$1" | grep -q "\"$2\")" ||
			return 0
		sleep 0.1
	done
	return 1
}

wait_file() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# check_app NAME CLASS APP_ARGV...: there and back again.
check_app() {
	local name=$1 class=$2 pid wid geom wid2 geom2 d from
	shift 2
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
				type_line "$d" "$wid2" "touch $T/typed-$name"
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

