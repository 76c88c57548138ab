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

BG_PID=
local_bg() {
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	BG_PID=$!
	lib__record_pid "$BG_PID"
	LIB_CHILDREN+=("$BG_PID")
}

start_xvfb() {
	local name=$1 i n=
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	local_bg "$T/xvfb-$name.log" sh -c 'f=$1; shift; exec Xvfb -displayfd 3 \
	    -screen 0 800x600x24 -nolisten tcp -noreset "$@" 3>"$f"' sh \
	    "$T/display-$name" "$@"
	for ((i = 0; i < 100; i++)); do
		read -r n 2>/dev/null <"$T/display-$name" || true
		[ -n "$n" ] && break
		lib__alive "$BG_PID" || fail "Xvfb $name died: $(tail -3 "$T/xvfb-$name.log")"
		sleep 0.1
	done
	[ -n "$n" ] || fail "Xvfb $name gave no display number in 10 s"
	XD=:$n
	for ((i = 0; i < 50; i++)); do
		xwininfo -root -display "$XD" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "Xvfb $name on $XD does not answer"
}
