# shellcheck shell=bash
# tests/lib-x.sh: X displays for tests and demos (source after tests/lib.sh
# and lib_init).  X needs no network namespace; the processes started here
# are recorded with lib.sh's, so its trap stops them by pid.
#
#   local_bg LOG CMD...         CMD in the background here, output to LOG;
#                               sets BG_PID
#   start_xvfb NAME [ARGS...]   an Xvfb (800x600x24, no TCP) on a display it
#                               picks itself (-displayfd), ARGS passed to it;
#                               sets XD to ":N" once the server answers
#   start_xorg NAME [MODDIR]    an Xorg with the dummy video driver (headless,
#                               800x600x24, no input devices, no TCP; needs
#                               root), loading the EVICT-GUI module from
#                               MODDIR when given; sets XD like start_xvfb
#
# For the guievict tests (the pointer and windows of two displays, $SRC and
# $DST; screenshots compared with $CMP, gvm-xwdcmp):
#
#   park                        the pointer at 790,590 on $SRC and $DST
#   app_window DISPLAY CLASS    id of a viewable top level of WM_CLASS CLASS
#   gone_from DISPLAY CLASS     no top level of CLASS there (3 s)
#   same_pixels NAME DPY WID REF  a screenshot of WID equals the xwd REF
#   type_line DISPLAY WID TEXT  types TEXT and Return (XTEST) into WID
#   wait_file PATH              PATH exists (5 s)

BG_PID=
local_bg() {
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	BG_PID=$!
	lib__record_pid "$BG_PID"
	LIB_CHILDREN+=("$BG_PID")
}

# Waits for the server started in BG_PID to write its display number to
# $T/display-NAME and answer; sets XD.
x__wait_display() {
	local name=$1 what=$2 log=$3 i n=
	for ((i = 0; i < 100; i++)); do
		read -r n 2>/dev/null <"$T/display-$name" || true
		[ -n "$n" ] && break
		lib__alive "$BG_PID" || fail "$what $name died: $(tail -3 "$log")"
		sleep 0.1
	done
	[ -n "$n" ] || fail "$what $name gave no display number in 10 s"
	XD=:$n
	for ((i = 0; i < 50; i++)); do
		xwininfo -root -display "$XD" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "$what $name on $XD does not answer"
}

start_xorg() {
	local name=$1 moddir=${2:-}
	local conf=$T/xorg-$name.conf
	{
		if [ -n "$moddir" ]; then
			printf 'Section "Files"\n  ModulePath "%s"\n' "$moddir"
			printf '  ModulePath "/usr/lib/xorg/modules"\nEndSection\n'
			printf 'Section "Module"\n  Load "evictgui"\nEndSection\n'
		fi
		cat <<-'EOC'
		Section "ServerFlags"
		  Option "AutoAddDevices" "false"
		  Option "AutoEnableDevices" "false"
		  Option "DontVTSwitch" "true"
		EndSection
		Section "Device"
		  Identifier "dummy"
		  Driver "dummy"
		  VideoRam 32768
		EndSection
		Section "Monitor"
		  Identifier "monitor"
		  HorizSync 5.0-1000.0
		  VertRefresh 5.0-200.0
		  Modeline "800x600" 40.0 800 840 968 1056 600 601 605 628
		EndSection
		Section "Screen"
		  Identifier "screen"
		  Device "dummy"
		  Monitor "monitor"
		  DefaultDepth 24
		  SubSection "Display"
		    Depth 24
		    Modes "800x600"
		  EndSubSection
		EndSection
		EOC
	} >"$conf"
	# shellcheck disable=SC2016 # expanded by the inner sh
	local_bg "$T/xorg-$name.out" sh -c 'f=$1; shift; exec Xorg -displayfd 3 \
	    -nolisten tcp -noreset -novtswitch -sharevts "$@" 3>"$f"' sh \
	    "$T/display-$name" -config "$conf" -logfile "$T/xorg-$name.log"
	x__wait_display "$name" Xorg "$T/xorg-$name.out"
}

start_xvfb() {
	local name=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	local_bg "$T/xvfb-$name.log" sh -c 'f=$1; shift; exec Xvfb -displayfd 3 \
	    -screen 0 800x600x24 -nolisten tcp -noreset "$@" 3>"$f"' sh \
	    "$T/display-$name" "$@"
	x__wait_display "$name" Xvfb "$T/xvfb-$name.log"
}

# The pointer outside every window, at the same place on both displays.
park() {
	DISPLAY=$SRC xdotool mousemove 790 590 2>/dev/null
	DISPLAY=$DST xdotool mousemove 790 590 2>/dev/null
	true
}

# app_window DISPLAY CLASS: the id of a viewable top level of WM_CLASS
# CLASS (waits 10 s), or nothing.
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

# type_line DISPLAY WID TEXT: types TEXT and Return (XTEST) into an xterm
# (Return as a key of its own: a typed newline is no Return on Xorg
# without a keyboard device).
type_line() {
	{
		DISPLAY=$1 xdotool mousemove --window "$2" 20 20 \
		    windowfocus --sync "$2" type --delay 5 "$3"
		DISPLAY=$1 xdotool key Return
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
