#!/usr/bin/env bash
# A rock client behind MASQUERADE reaches a plain server through rockd;
# mid-stream the NAT's mapping changes (new port range, connection
# tracking flushed: the data connection dies and the heartbeats arrive from
# a new address).  The client reconnects to rockd through the new mapping
# and 8 MiB each way arrive intact.
. "$(dirname "$0")/../lib.sh"
lib_init rockd-nat
need_root
need_cmd conntrack
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
TCPIO=$PWD/$O/tests/helpers/tcpio
for f in "$ROCK" "$ROCKD" "$TCPIO"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add client
host_add proxy
host_add server
S=$(host_ip server)
P=$(host_ip proxy)
shape client 20mbit
nat_on client
host_bg server "$T/server.log" "$TCPIO" listen 0.0.0.0 9000 --once \
    --send-random 8M --seed 21 --sha256 --timeout 120 >/dev/null
srv=$LIB_BG_PID
wait_listen server 9000 5 || fail "the server did not start"
host_bg proxy "$T/rockd.log" env EVICT_LOG_LEVEL=info "$ROCKD" --listen 7000 \
    --to "$S:9000" >/dev/null
wait_listen proxy 7000 5 || fail "rockd did not start"

want_up=$("$TCPIO" gen 8M --seed 20 --sha256)
want_down=$("$TCPIO" gen 8M --seed 21 --sha256)
hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" connect "$P" 7000 \
    --send-random 8M --seed 20 --sha256 --timeout 120 \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!
lib_sleep 1.5
nat_remap client
lib_note "NAT mapping changed"
kill -0 "$cli" 2>/dev/null || fail "the stream ended before the NAT changed"
wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
wait_pid "$srv" 60 || fail "the server did not finish: $(tail -2 "$T/server.log")"
[ "$(cat "$T/client.out")" = "$want_down" ] || fail "server to client: bytes differ"
got=$(grep -E '^[0-9a-f]{64}$' "$T/server.log" | tail -1)
[ "$got" = "$want_up" ] || fail "client to server: bytes differ"
n=$(grep -c 'resumed after' "$T/client.log")
[ "$n" -ge 1 ] || fail "the client never reconnected (did the NAT change reach it?)"
pass "a rock client behind MASQUERADE went on through rockd after its mapping changed ($n reconnections); 8 MiB each way intact"
