#!/usr/bin/env bash
# Reliable sockets, byte-exact: two test hosts stream 200 MiB each way
# through rocks (tcpio under `rock`) while the client's link goes down and
# up 20 times, for 0.2 to 10 s each; the SHA-256 of what arrived equals what
# was sent, in both directions.  The stream must still be running when the
# last outage ends (else the test proves nothing and fails).
. "$(dirname "$0")/../lib.sh"
lib_init rocks-stream
need_root
O=${O:-build}
ROCK=$PWD/$O/bin/rock
TCPIO=$PWD/$O/tests/helpers/tcpio
[ -x "$ROCK" ] && [ -x "$TCPIO" ] || fail "build first ($O)"
SIZE=${ROCKS_STREAM_SIZE:-200M}
RATE=${ROCKS_STREAM_RATE:-80mbit}

host_add client
host_add server
S=$(host_ip server)
shape client "$RATE"
shape server "$RATE"

want_c2s=$("$TCPIO" gen "$SIZE" --seed 11 --sha256)
want_s2c=$("$TCPIO" gen "$SIZE" --seed 22 --sha256)
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=${ROCKS_LOG_LEVEL:-info} "$ROCK" "$TCPIO" \
    listen 0.0.0.0 9000 --once --send-random "$SIZE" --seed 22 --sha256 \
    --timeout 600 >/dev/null
srv=$LIB_BG_PID
wait_listen server 9000 5 || fail "server did not start"
hexec client env EVICT_LOG_LEVEL=${ROCKS_LOG_LEVEL:-info} "$ROCK" "$TCPIO" connect "$S" 9000 \
    --send-random "$SIZE" --seed 11 --sha256 --timeout 600 \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!

# 20 outages, 0.2 to 10 s, 0.7 s of link between them
durations=(0.2 0.5 1 3 0.3 10 0.2 2 0.7 5 0.4 1.5 0.2 4 0.6 1 0.3 2.5 0.8 6)
lib_sleep 1
for d in "${durations[@]}"; do
	link_down client
	lib_sleep "$d"
	link_up client
	lib_sleep 0.7
done
kill -0 "$cli" 2>/dev/null ||
	fail "the stream ended before the last outage; lower ROCKS_STREAM_RATE"
lib_note "all 20 outages done during the stream"

wait "$cli"
rc=$?
[ "$rc" -eq 0 ] || fail "client exited $rc: $(tail -3 "$T/client.log")"
wait_pid "$srv" 120
got_s2c=$(cat "$T/client.out")
got_c2s=$(grep -v ' ' "$T/server.log" | grep -E '^[0-9a-f]{64}$' | tail -1)
[ "$got_c2s" = "$want_c2s" ] || fail "client to server: sha $got_c2s, want $want_c2s"
[ "$got_s2c" = "$want_s2c" ] || fail "server to client: sha $got_s2c, want $want_s2c"
n=$(grep -c 'resumed after' "$T/client.log")
lib_note "client resumed $n times"
[ "$n" -ge 1 ] || fail "no reconnection happened: the test proves nothing"
pass "$SIZE each way intact through 20 outages ($n reconnections)"
