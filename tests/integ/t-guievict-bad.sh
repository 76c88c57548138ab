#!/usr/bin/env bash
# guievict against bad input: every case ends in a clean error from
# guievictor, and the program (gvm-rtt, an X client that answers "ping"
# with a round trip) keeps working where it was.
#
#  - servers that misbehave during an attach (tests/helpers/gvm-xproxy
#    between the library and a real Xvfb): a connection setup answered with
#    garbage, a server that vanishes in the middle of the regeneration, a
#    message cut short, a reply announcing 2 GB; for a move (the program
#    stays on its display) and for an attach (it stays detached, and then
#    attaches to a real display);
#  - the program: a request left half-written (detach refuses after 2 s
#    and works once the request is complete); a malformed request after a
#    move (the server's BadLength comes back to it, translated, and it goes
#    on);
#  - the control socket: a bad hello, a 2 GB frame, half a frame, an
#    unknown request, a cut command, noise (gvm-ctlpoke): answered with
#    errors or closed, the library still serves guievictor afterwards;
#  - another user: guievictor run as nobody against a root program, before
#    the library is there (ptrace refuses) and after (its control socket
#    refuses: SO_PEERCRED), and `list` shows nobody nothing.
. "$(dirname "$0")/../lib.sh"
lib_init guievict-bad
need_cmd Xvfb xwininfo
O=${O:-build}
GV=$PWD/$O/bin/guievictor
RTT=$PWD/$O/tests/helpers/gvm-rtt
PROXY=$PWD/$O/tests/helpers/gvm-xproxy
POKE=$PWD/$O/tests/helpers/gvm-ctlpoke
for f in "$GV" "$RTT" "$PROXY" "$POKE"; do
	[ -x "$f" ] || fail "build first ($f)"
done
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
[ "$(id -u)" = 0 ] || [ "$scope" = 0 ] ||
	skip "ptrace_scope is $scope: guievictor may not attach to a non-child"

. "$(dirname "$0")/../lib-x.sh"

start_xvfb src
SRC=$XD
start_xvfb dst
DST=$XD

# A display number nobody listens on, for the proxy.
PN=
for n in $(seq 150 199); do
	grep -q "/tmp/.X11-unix/X$n\$" /proc/net/unix || { PN=$n; break; }
done
[ -n "$PN" ] || fail "no free display number in 150-199"

# The program, fed through a FIFO.
mkfifo "$T/rtt.in"
local_bg "$T/rtt.log" env DISPLAY="$SRC" sh -c 'exec "$1" <"$2"' sh "$RTT" \
    "$T/rtt.in"
RPID=$BG_PID
exec 7<>"$T/rtt.in"
for ((i = 0; i < 50; i++)); do
	grep -q '^ready' "$T/rtt.log" && break
	sleep 0.1
done
grep -q '^ready' "$T/rtt.log" || fail "gvm-rtt did not start: $(cat "$T/rtt.log")"

# rtt CMD EXPECT: sends CMD, waits (5 s) for a new line matching EXPECT.
rtt() {
	local before i
	before=$(wc -l <"$T/rtt.log")
	echo "$1" >&7
	for ((i = 0; i < 50; i++)); do
		if tail -n +"$((before + 1))" "$T/rtt.log" | grep -q -- "$2"; then
			return 0
		fi
		sleep 0.1
	done
	fail "gvm-rtt: '$1' got no '$2': $(tail -3 "$T/rtt.log")"
}

unharmed() {	# what: alive, answers, and said nothing unexpected
	lib__alive "$RPID" || fail "$1: the program died: $(tail -3 "$T/rtt.log")"
	rtt ping '^pong'
	grep -q '^error: ' "$T/rtt.log" &&
		fail "$1: the program saw: $(grep '^error: ' "$T/rtt.log")"
	true
}

# gv_fail WHAT PATTERN ARGS...: guievictor (run as "${AS[@]}") must fail,
# saying PATTERN.
AS=()
gv_fail() {
	local what=$1 pat=$2 rc=0
	shift 2
	timeout 120 "${AS[@]}" "$GV" "$@" >"$T/gv.out" 2>"$T/gv.err" || rc=$?
	[ "$rc" = 1 ] || fail "$what: guievictor exited $rc, not 1: $(cat "$T/gv.out" "$T/gv.err")"
	grep -q -- "$pat" "$T/gv.err" ||
		fail "$what: no '$pat' in: $(cat "$T/gv.err")"
	lib_note "$what: $(head -1 "$T/gv.err")"
}

gv_ok() {
	timeout 120 "$GV" "$@" >"$T/gv.out" 2>"$T/gv.err" ||
		fail "guievictor $*: $(cat "$T/gv.out" "$T/gv.err")"
}

# ---- another user, before the library is there --------------------------------
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	AS=("${NOBODY[@]}")
	gv_fail "nobody, not yet hijacked" "not yours" \
	    detach "$RPID"
	AS=()
	"$GV" list -p | grep -q "pid=$RPID" &&
		fail "nobody's attempt left a library in the program"
	unharmed "nobody, before"
else
	NOBODY=()
	lib_note "not root or no setpriv: the other-user cases are left out"
fi

# ---- the program half-way through a request ------------------------------------
gv_ok move "$RPID" "$DST"
unharmed "first move"
rtt half '^half'
gv_fail "half a request" "middle of a request" detach "$RPID"
rtt rest '^rest'
unharmed "after the rest of the request"
rtt badlen '^error 16$'
unharmed "after a malformed request"

# ---- servers that misbehave during a move, then during an attach ----------------
proxy() {	# proxy MODE BYTES
	local_bg "$T/proxy.log" "$PROXY" "$PN" "${DST#:}" "$1" "$2"
	PXPID=$BG_PID
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$T/proxy.log" && return 0
		sleep 0.1
	done
	fail "gvm-xproxy did not start: $(cat "$T/proxy.log")"
}

# The setup reply of Xvfb is about 9.5 KB: 12000 server bytes is inside
# the regeneration.
for m in "garbage 0" "vanish 600" "vanish 2500" "truncate 100" \
    "truncate 12000" "malformed 12000"; do
	# shellcheck disable=SC2086 # two words
	proxy $m
	gv_fail "move to a server that does '$m'" "cannot move.*still attached" \
	    move "$RPID" ":$PN"
	stop_pid "$PXPID" || true
	unharmed "after '$m' (move)"
done
gv_ok detach "$RPID"
for m in "vanish 2500" "malformed 12000"; do
	# shellcheck disable=SC2086
	proxy $m
	gv_fail "attach to a server that does '$m'" "cannot attach.*still detached" \
	    attach "$RPID" ":$PN"
	stop_pid "$PXPID" || true
done
gv_ok attach "$RPID" "$SRC"
unharmed "attached after two failed attaches"

# ---- the control socket ------------------------------------------------------------
"$POKE" "$RPID" "$(id -u)" >"$T/poke.log" 2>&1 || fail "gvm-ctlpoke: $(cat "$T/poke.log")"
for c in badmagic huge unknown shortcmd garbage; do
	grep -q "^$c: \(answer 900\|closed\)" "$T/poke.log" ||
		fail "control socket, $c: $(grep "^$c" "$T/poke.log")"
done
"$GV" list -p >"$T/list.txt" 2>&1
grep -q "pid=$RPID .*state=attached" "$T/list.txt" ||
	fail "the library stopped answering after the pokes: $(cat "$T/list.txt")"
unharmed "after the pokes"

# ---- another user, after ----------------------------------------------------------
if [ ${#NOBODY[@]} -gt 0 ]; then
	rc=0
	"${NOBODY[@]}" "$GV" detach "$RPID" >"$T/nobody.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "nobody's detach exited $rc: $(cat "$T/nobody.out")"
	grep -q "only its owner or root" "$T/nobody.out" ||
		fail "nobody's detach: $(cat "$T/nobody.out")"
	lib_note "nobody, hijacked: $(head -1 "$T/nobody.out")"
	"${NOBODY[@]}" "$GV" list -p 2>&1 | grep -q "pid=$RPID" &&
		fail "list shows nobody a root program"
	"$GV" list -p | grep -q "pid=$RPID .*state=attached" ||
		fail "after nobody's attempt: $("$GV" list -p)"
	unharmed "nobody, after"
fi

echo quit >&7
exec 7>&-
pass "misbehaving servers during move and attach, a half-written and a malformed request, garbage on the control socket and another user: clean errors, the program unharmed"
