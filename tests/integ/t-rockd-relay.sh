#!/usr/bin/env bash
# Relay (rendezvous) mode: two rock programs connected by address (no name
# to resolve again) both change address during one outage, so neither can
# tell the other where it went.  Both were given EVICT_ROCKS_RELAY, a
# `rockd --relay` on a third host: the suspended server tells the relay
# where it is, the client asks, reconnects there, and 12 MiB each way
# arrive intact.  The relay sees only a tag, never a key.
. "$(dirname "$0")/../lib.sh"
lib_init rockd-relay
need_root
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
TCPIO=$PWD/$O/tests/helpers/tcpio
for f in "$ROCK" "$ROCKD" "$TCPIO"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add client
host_add server
host_add relay
S=$(host_ip server)
R=$(host_ip relay)
shape client 20mbit
shape server 20mbit
host_bg relay "$T/relay.log" env EVICT_LOG_LEVEL=info "$ROCKD" --relay 7100 >/dev/null
wait_listen relay 7100 5 || fail "the relay did not start"
want_c2s=$("$TCPIO" gen 12M --seed 31 --sha256)
want_s2c=$("$TCPIO" gen 12M --seed 32 --sha256)
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=info EVICT_ROCKS_RELAY="$R:7100" \
    "$ROCK" "$TCPIO" listen 0.0.0.0 9000 --once --send-random 12M --seed 32 \
    --sha256 --timeout 120 >/dev/null
srv=$LIB_BG_PID
wait_listen server 9000 5 || fail "the server did not start"
hexec client env EVICT_LOG_LEVEL=info EVICT_ROCKS_RELAY="$R:7100" "$ROCK" \
    "$TCPIO" connect "$S" 9000 --send-random 12M --seed 31 --sha256 \
    --timeout 120 >"$T/client.out" 2>"$T/client.log" &
cli=$!

lib_sleep 1.5
link_down client
new_s=$(addr_change server) || fail "addr_change server"
new_c=$(addr_change client) || fail "addr_change client"
lib_sleep 3
link_up client
lib_note "server now $new_s, client now $new_c"
kill -0 "$cli" 2>/dev/null || fail "the stream ended before the moves"

wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
wait_pid "$srv" 60 || fail "the server did not finish"
[ "$(cat "$T/client.out")" = "$want_s2c" ] || fail "server to client: bytes differ"
got=$(grep -E '^[0-9a-f]{64}$' "$T/server.log" | tail -1)
[ "$got" = "$want_c2s" ] || fail "client to server: bytes differ"
grep -q 'told the relay where to find it' "$T/server.log" ||
	fail "the server never registered with the relay"
grep -q 'the relay knows where the peer went' "$T/client.log" ||
	fail "the client did not learn the server's address from the relay"
pass "both ends moved during one outage and met again through the relay; 12 MiB each way intact"
