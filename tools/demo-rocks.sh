#!/usr/bin/env bash
# Demo of reliable sockets: a stream between two test hosts, both ends
# under `rock`, goes on through a link outage and a change of the client's
# address; the rock's state is shown while it is suspended, and the bytes
# that arrive are checked against what was sent (SHA-256).
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init demo-rocks
need_root
ROCK=$PWD/$O/bin/rock
TCPIO=$PWD/$O/tests/helpers/tcpio

host_add laptop
host_add server
S=$(host_ip server)
shape laptop 40mbit
echo
echo "evict demo: reliable sockets"
echo "laptop $(host_ip laptop) streams 48 MiB to server $S through rocks (both"
echo "ends run under 'rock'), shaped to 40 Mbit/s so that it lasts."
want=$("$TCPIO" gen 48M --seed 1 --sha256)
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" \
    listen 0.0.0.0 9000 --once --sha256 --timeout 300 >/dev/null
srv=$LIB_BG_PID
wait_listen server 9000 5 || fail "server did not start"
hexec laptop env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" connect "$S" 9000 \
    --send-random 48M --seed 1 --timeout 300 >/dev/null 2>"$T/laptop.log" &
cli=$!
show() {
	local sus
	sus=$(grep -E 'suspended|resumed|moved|address' "$T/laptop.log" | tail -1 |
	    sed 's/^[^ ]* [^ ]* info [^ ]* //')
	printf '  %-34s %s\n' "$1" "${sus:-connected}"
}
lib_sleep 2
show "streaming"
echo "* the laptop's link goes down for 6 s"
link_down laptop
lib_sleep 4
show "4 s into the outage"
echo "  rockctl list, on the laptop, during the outage:"
hexec laptop "$PWD/$O/bin/rockctl" list 2>&1 | sed 's/^/    /'
lib_sleep 2
link_up laptop
lib_sleep 1
show "link back"
echo "* the laptop moves to a new address"
echo "  new address: $(addr_change laptop)"
lib_sleep 2
show "after the move"
wait "$cli" || fail "the laptop's program failed"
wait_pid "$srv" 60
got=$(grep -E '^[0-9a-f]{64}$' "$T/server.log" | tail -1)
echo "sent     sha256 $want"
echo "received sha256 $got"
[ "$got" = "$want" ] || fail "the stream was damaged"
echo "reconnections: $(grep -c 'resumed after' "$T/laptop.log")"
lib_cleanup >/dev/null 2>&1
pass "rocks demo: the stream survived an outage and a move, byte for byte"
