#!/usr/bin/env bash
# Reliable sockets across changes of address: a stream in both directions
# between two test hosts goes on byte-exact when the client's address
# changes mid-stream, then when the server's does; both ends reconnect on
# their own (the client learns the server's new address from its
# authenticated heartbeats).
. "$(dirname "$0")/../lib.sh"
lib_init rocks-move
need_root
O=${O:-build}
ROCK=$PWD/$O/bin/rock
TCPIO=$PWD/$O/tests/helpers/tcpio
[ -x "$ROCK" ] && [ -x "$TCPIO" ] || fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)
shape client 40mbit
shape server 40mbit

want_c2s=$("$TCPIO" gen 24M --seed 5 --sha256)
want_s2c=$("$TCPIO" gen 24M --seed 6 --sha256)
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" \
    listen 0.0.0.0 9000 --once --send-random 24M --seed 6 --sha256 \
    --timeout 300 >/dev/null
srv=$LIB_BG_PID
wait_listen server 9000 5 || fail "server did not start"
hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" connect "$S" 9000 \
    --send-random 24M --seed 5 --sha256 --timeout 300 \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!

lib_sleep 1.5
new=$(addr_change client) || fail "addr_change client"
lib_note "client moved to $new"
lib_sleep 2
new=$(addr_change server) || fail "addr_change server"
lib_note "server moved to $new"
lib_sleep 1
kill -0 "$cli" 2>/dev/null || fail "the stream ended before both moves"

wait "$cli"
rc=$?
[ "$rc" -eq 0 ] || fail "client exited $rc: $(tail -3 "$T/client.log")"
wait_pid "$srv" 60
got_s2c=$(cat "$T/client.out")
got_c2s=$(grep -E '^[0-9a-f]{64}$' "$T/server.log" | tail -1)
[ "$got_c2s" = "$want_c2s" ] || fail "client to server: sha $got_c2s, want $want_c2s"
[ "$got_s2c" = "$want_s2c" ] || fail "server to client: sha $got_s2c, want $want_s2c"
n=$(grep -c 'resumed after' "$T/client.log")
[ "$n" -ge 2 ] || fail "expected a reconnection per move, saw $n"
pass "24 MiB each way intact across a client and a server address change ($n reconnections)"
