#!/usr/bin/env bash
# Reliable sockets under attack, while a stream runs through a rock:
#  - garbage at the control port (TCP and UDP; noise, lying lengths, cut-short
#    messages, a heartbeat under a wrong key) does not crash, hang or break it;
#  - a reconnection by a party without the key is refused and logged, and the
#    rock keeps talking to its real peer;
#  - a captured reconnection handshake (a real one, after an outage),
#    replayed, is refused.
# The stream still arrives byte-exact (SHA-256) at the end.
. "$(dirname "$0")/../lib.sh"
lib_init rocks-security
need_root
O=${O:-build}
ROCK=$PWD/$O/bin/rock
TCPIO=$PWD/$O/tests/helpers/tcpio
ATTACK=$PWD/$O/tests/helpers/rocks-attack
[ -x "$ROCK" ] && [ -x "$TCPIO" ] && [ -x "$ATTACK" ] || fail "build first ($O)"

host_add client
host_add server
host_add mallory
S=$(host_ip server)
shape client 20mbit

want=$("$TCPIO" gen 40M --seed 4 --sha256)
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=debug "$ROCK" "$TCPIO" \
    listen 0.0.0.0 9000 --once --sha256 --timeout 300 >/dev/null
srv=$LIB_BG_PID
wait_listen server 9000 5 || fail "server did not start"
hexec client env EVICT_LOG_LEVEL=debug "$ROCK" "$TCPIO" connect "$S" 9000 \
    --send-random 40M --seed 4 --timeout 300 >/dev/null 2>"$T/client.log" &
cli=$!
lib_sleep 1.5

# the server's control port: its listening socket that is not 9000
port=$(hexec server ss -H -ltnp | grep "pid=$srv," | awk '{print $4}' |
    sed 's/.*://' | grep -v '^9000$' | head -1)
[ -n "$port" ] || fail "cannot find the server's control port"
id=$(sed -n 's/.*connected (id \([0-9a-f]*\), server).*/\1/p' "$T/server.log" | head -1)
[ ${#id} -eq 32 ] || fail "cannot find the rock's id in the log"

hexec mallory "$ATTACK" garbage "$S" "$port" >/dev/null || fail "garbage attack tool failed"
out=$(hexec mallory "$ATTACK" nokey "$S" "$port" "$id") || fail "no-key reconnection accepted: $out"
grep -q 'without the key refused' "$T/server.log" || fail "the refusal was not logged"

# a real reconnection to capture
link_down client
lib_sleep 4
link_up client
lib_sleep 2
rq=$(sed -n 's/.*reconnect bytes \([0-9a-f]*\).*/\1/p' "$T/client.log" | tail -1)
rs=$(sed -n 's/.*response bytes \([0-9a-f]*\).*/\1/p' "$T/client.log" | tail -1)
[ -n "$rq" ] && [ -n "$rs" ] || fail "no reconnection happened to capture"
out=$(hexec mallory "$ATTACK" replay "$S" "$port" "$rq" "$rs") ||
	fail "replayed handshake accepted: $out"
n=$(grep -c 'without the key refused' "$T/server.log")
[ "$n" -ge 2 ] || fail "the replay's refusal was not logged"

kill -0 "$cli" 2>/dev/null || fail "the stream ended before the attacks were over"
wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
wait_pid "$srv" 60
got=$(grep -E '^[0-9a-f]{64}$' "$T/server.log" | tail -1)
[ "$got" = "$want" ] || fail "stream damaged: sha $got, want $want"
pass "garbage, a keyless reconnection and a replayed handshake refused; stream intact"
