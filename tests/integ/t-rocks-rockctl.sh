#!/usr/bin/env bash
# rockctl and the RE-API, across real outages between two test hosts.
#
# 1. A rock stream (tcpio under `rock`): `rockctl list --json` in the
#    client host shows it CONNECTED; with the client's link down, SUSPENDED
#    with the peer's address, bytes in flight and a plain-language reason;
#    after the link returns, CONNECTED again.  Another user (nobody, with
#    setpriv) sees nothing of root's processes, is refused by them, and
#    cannot kill; root's `rockctl kill ID` makes the program fail.
# 2. rocks-reapi-demo (built without librocks, run under `rock`) asks for a
#    200 ms heartbeat and callbacks: they fire on suspension and on resume;
#    an alternate address given from the suspend callback shows in rockctl.
# 3. The same settings made before connect() are agreed with the peer
#    (the server's rock shows 200 ms x 3), and a 2 s reconnection period
#    ends in the timeout callback.
# 4. The demo without librocks links, runs and talks to a plain server.
. "$(dirname "$0")/../lib.sh"
lib_init rocks-rockctl
need_root
need_cmd jq setpriv
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKCTL=$PWD/$O/bin/rockctl
TCPIO=$PWD/$O/tests/helpers/tcpio
DEMO=$PWD/$O/tests/helpers/rocks-reapi-demo
for f in "$ROCK" "$ROCKCTL" "$TCPIO" "$DEMO"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done
LOGLVL=${ROCKS_LOG_LEVEL:-info}

host_add client
host_add server
S=$(host_ip server)
shape client 8mbit

# rockctl in the client host as root, or as nobody
ctl() { hexec client "$ROCKCTL" "$@"; }
ctl_nobody() {
	hexec client setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$ROCKCTL" "$@"
}
# the client's rock to the server's PORT, as one JSON object (or nothing)
rock_json() {
	ctl --json list | jq -c --arg p "$S:$1" \
	    '[.rocks[] | select(.peer == $p)][0] // empty'
}
# waits until that rock is in STATE; prints it
wait_state() {
	local port=$1 want=$2 ms=$(($3 * 1000)) start j
	start=$(lib_now_ms)
	while :; do
		j=$(rock_json "$port")
		if [ -n "$j" ] && [ "$(jq -r .state <<<"$j")" = "$want" ]; then
			echo "$j"
			return 0
		fi
		[ $(($(lib_now_ms) - start)) -lt "$ms" ] || return 1
		sleep 0.1
	done
}
# waits until FILE has a line matching the extended REGEX
wait_line() {
	local ms=$(($3 * 1000)) start
	start=$(lib_now_ms)
	until grep -qE "$2" "$1" 2>/dev/null; do
		[ $(($(lib_now_ms) - start)) -lt "$ms" ] || return 1
		sleep 0.05
	done
}
# a rock server on PORT that never sends (its stdin stays open) and never ends
rock_server() {
	host_bg server "$T/server-$1.log" sh -c 'sleep 600 | exec "$@"' sh \
	    env EVICT_LOG_LEVEL="$LOGLVL" "$ROCK" "$TCPIO" listen 0.0.0.0 "$1" \
	    --once --sha256 --timeout 300 >/dev/null
	wait_listen server "$1" 5 || fail "the server on port $1 did not start"
}

# ---- 1. rockctl on a stream --------------------------------------------------

rock_server 9000
host_bg client "$T/client.log" env EVICT_LOG_LEVEL="$LOGLVL" "$ROCK" "$TCPIO" \
    connect "$S" 9000 --send-random 1G --sha256 --timeout 300 >/dev/null
cli=$LIB_BG_PID
j=$(wait_state 9000 CONNECTED 5) || fail "rockctl list shows no connected rock to $S:9000: $(ctl list 2>&1)"
id=$(jq -r .id <<<"$j")
pid=$(jq -r .pid <<<"$j")
[ "$(jq -r .program <<<"$j")" = tcpio ] || fail "program: $(jq -r .program <<<"$j")"
[ "$(jq -r .role <<<"$j")" = client ] || fail "role: $j"
lib_note "rock $id of pid $pid CONNECTED"

link_down client
j=$(wait_state 9000 SUSPENDED 10) || { link_up client; fail "no SUSPENDED rock 10 s after the link went down: $(rock_json 9000)"; }
ctl list >&2
reason=$(jq -r .reason <<<"$j")
[ "$(jq -r .peer <<<"$j")" = "$S:9000" ] || fail "peer of the suspended rock: $(jq -r .peer <<<"$j")"
[[ $reason == "peer $S:9000 unreachable for "*"; retrying every 1 s; gives up in 2 d 23 h"* ]] ||
	fail "reason: '$reason'"
[ -n "$(jq -r .cause <<<"$j")" ] || fail "no cause: $j"
[ "$(jq -r .in_flight <<<"$j")" -gt 0 ] || fail "a stream suspended with nothing in flight: $j"
[ "$(jq -r .gives_up_ms <<<"$j")" -gt 0 ] || fail "gives_up_ms: $j"
sleep 1.5
j2=$(rock_json 9000)
[ "$(jq -r .state <<<"$j2")" = SUSPENDED ] || fail "not suspended while the link is down: $j2"
[ "$(jq -r .suspended_ms <<<"$j2")" -gt "$(jq -r .suspended_ms <<<"$j")" ] ||
	fail "the time suspended does not grow: $j then $j2"
lib_note "while down: $(jq -r .reason <<<"$j2")"

link_up client
j=$(wait_state 9000 CONNECTED 15) || fail "not CONNECTED 15 s after the link returned: $(rock_json 9000)"
[ "$(jq -r .reconnects <<<"$j")" -ge 1 ] || fail "connected again without a reconnection: $j"
lib_note "resumed: $(jq -r .reason <<<"$j")"

# another user sees and touches nothing of root's
out=$(ctl_nobody --json list) || fail "rockctl list as nobody failed: $out"
[ "$(jq '.rocks | length' <<<"$out")" = 0 ] || fail "nobody sees root's rocks: $out"
if out=$(ctl_nobody show "$pid" 2>&1); then
	fail "rockctl show $pid as nobody succeeded: $out"
fi
grep -q refused <<<"$out" || fail "rockctl show as nobody: $out"
if out=$(ctl_nobody kill --pid "$pid" "$id" 2>&1); then
	fail "rockctl kill as nobody succeeded: $out"
fi
if out=$(ctl_nobody kill "$id" 2>&1); then
	fail "rockctl kill as nobody succeeded: $out"
fi
grep -q 'refused a connection from pid .* uid 65534' "$T/client.log" ||
	fail "the process did not refuse nobody (log: $(tail -3 "$T/client.log"))"
[ "$(jq -r .state <<<"$(rock_json 9000)")" = CONNECTED ] || fail "the rock changed after nobody's attempts"
out=$(ctl show "$pid") || fail "rockctl show $pid: $out"
grep -q "^rock $id  fd [0-9]*, client, CONNECTED" <<<"$out" || fail "rockctl show: $out"

out=$(ctl kill "${id:0:8}") || fail "rockctl kill ${id:0:8}: $out"
lib_note "$out"
wait_pid "$cli" 5
rc=$?
[ "$rc" -ne 124 ] || fail "the program still runs 5 s after rockctl kill"
[ "$rc" -ne 0 ] || fail "the program did not see an error after rockctl kill"
grep -q 'Connection reset by peer' "$T/client.log" ||
	fail "no ECONNRESET in the program: $(tail -3 "$T/client.log")"
grep -q "killed by rockctl" "$T/client.log" || fail "no abort in the library's log"

# ---- 2. RE-API callbacks and an alternate address ----------------------------

rock_server 9001
host_bg client "$T/demo.log" env EVICT_LOG_LEVEL="$LOGLVL" "$ROCK" "$DEMO" \
    "$S" 9001 --hb 200 --misses 3 --alt 203.0.113.99 --exit-after-resume \
    --seconds 60 >/dev/null
demo=$LIB_BG_PID
wait_line "$T/demo.log" '^heartbeat [0-9]+ x [0-9]+ in effect' 5 ||
	fail "the demo did not start: $(tail -5 "$T/demo.log")"
grep -q '^rocks: available' "$T/demo.log" || fail "the RE-API is not found under rock"
grep -q '^is_rock 1' "$T/demo.log" || fail "rocks_is_rock: $(grep is_rock "$T/demo.log")"
link_down client
t0=$(lib_now_ms)
wait_line "$T/demo.log" '^event suspend' 6 || { link_up client; fail "no suspend callback 6 s into the outage"; }
lib_note "suspend callback $(($(lib_now_ms) - t0)) ms into the outage"
grep -A1 '^event suspend' "$T/demo.log" | grep -q '^status SUSPENDED' ||
	fail "status in the suspend callback: $(grep -A1 '^event suspend' "$T/demo.log")"
start=$(lib_now_ms)
until [[ $(jq -r .reconnect <<<"$(rock_json 9001)") == 203.0.113.99:* ]]; do
	[ $(($(lib_now_ms) - start)) -lt 3000 ] || { link_up client; fail "the alternate address is not used: $(rock_json 9001)"; }
	sleep 0.1
done
lib_note "reconnecting via the alternate address: $(jq -r .reconnect <<<"$(rock_json 9001)")"
lib_sleep 1
link_up client
wait_line "$T/demo.log" '^event resume' 15 || fail "no resume callback 15 s after the link returned: $(tail -5 "$T/demo.log")"
wait_pid "$demo" 10 || fail "the demo failed: $(tail -5 "$T/demo.log")"
grep -A1 '^final' "$T/demo.log" | grep -q '^status CONNECTED .* reconnects 1 ' ||
	fail "final status: $(grep -A1 '^final' "$T/demo.log")"

# ---- 3. settings before connect(): agreed heartbeat, reconnection period -------

rock_server 9002
host_bg client "$T/demo2.log" env EVICT_LOG_LEVEL="$LOGLVL" "$ROCK" "$DEMO" \
    "$S" 9002 --before --hb 200 --misses 3 --reconnect 2 --seconds 60 >/dev/null
demo=$LIB_BG_PID
wait_line "$T/demo2.log" '^heartbeat [0-9]+ x [0-9]+ in effect' 5 ||
	fail "the demo did not start: $(tail -5 "$T/demo2.log")"
grep -q '^heartbeat 200 x 3 in effect' "$T/demo2.log" ||
	fail "settings made before connect() not applied: $(grep '^heartbeat' "$T/demo2.log")"
srv=$(hexec server "$ROCKCTL" --json list | jq -c '[.rocks[] | select(.local | endswith(":9002"))][0] // empty')
[ "$(jq -r '"\(.heartbeat_ms) \(.heartbeat_misses)"' <<<"$srv")" = "200 3" ] ||
	fail "the server did not agree to the heartbeat: $srv"
link_down client
wait_line "$T/demo2.log" '^event suspend' 6 || { link_up client; fail "no suspend callback (settings before connect)"; }
j=$(rock_json 9002)
[ "$(jq -r .gives_up_ms <<<"$j")" -le 2000 ] || fail "the rock's own reconnection period is not used: $j"
wait_line "$T/demo2.log" '^event timeout' 6 || { link_up client; fail "no timeout callback 6 s after suspension: $(tail -5 "$T/demo2.log")"; }
link_up client
wait_pid "$demo" 10
rc=$?
[ "$rc" -eq 3 ] || fail "the demo exited $rc after its rock timed out: $(tail -5 "$T/demo2.log")"
j=$(rock_json 9002)
[ -z "$j" ] || [ "$(jq -r .state <<<"$j")" = CLOSED ] || fail "timed out, yet: $j"

# ---- 4. without librocks ------------------------------------------------------

host_bg server "$T/plain.log" sh -c 'sleep 600 | exec "$@"' sh "$TCPIO" \
    listen 0.0.0.0 9003 --once --timeout 60 >/dev/null
wait_listen server 9003 5 || fail "the plain server did not start"
out=$(hexec client "$DEMO" "$S" 9003 --seconds 0.5) || fail "the demo without librocks failed: $out"
grep -q '^rocks: not available' <<<"$out" || fail "without librocks: $out"
grep -q '^connected' <<<"$out" || fail "without librocks: $out"

pass "rockctl shows suspension and resumption, refuses other users, kills; RE-API callbacks, alternate address, agreed heartbeat and reconnection period work; the demo runs without librocks"
