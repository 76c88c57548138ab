#!/usr/bin/env bash
# Real programs under rock: redis-server (epoll) and redis-cli (poll), both
# under `rock`, across two link outages: 1500 INCRs, each answered once, in
# order, none lost or repeated (the counter and the replies say so).  Then
# redis-benchmark under rock completes against it, and a plain redis-cli
# (no rock) is served by the rock redis-server as if nothing were there.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-peers.sh"
lib_init rocks-redis
need_root
need_cmd redis-server redis-cli redis-benchmark
O=${O:-build}
ROCK=$PWD/$O/bin/rock
[ -x "$ROCK" ] || fail "build first ($O)"
N=1500

host_add client
host_add server
S=$(host_ip server)
host_bg server "$T/redis.log" env EVICT_LOG_LEVEL=info "$ROCK" redis-server \
    --port 6379 --bind 0.0.0.0 --protected-mode no --save '' \
    --appendonly no --dir "$T" >/dev/null
wait_listen server 6379 5 || fail "redis-server did not start"

hexec client env EVICT_LOG_LEVEL=info "$ROCK" redis-cli -h "$S" -r "$N" \
    -i 0.005 INCR ctr >"$T/incr.out" 2>"$T/incr.log" &
cli=$!
lib_sleep 2.5
link_down client
lib_sleep 4
link_up client
lib_sleep 2
link_down client
lib_sleep 3
link_up client
kill -0 "$cli" 2>/dev/null || fail "the INCRs ended before the outages were over"
wait "$cli" || fail "redis-cli under rock failed: $(tail -3 "$T/incr.log")"

seq 1 "$N" >"$T/want"
cmp -s "$T/want" "$T/incr.out" ||
	fail "replies are not 1..$N in order: $(diff "$T/want" "$T/incr.out" | head -5)"
got=$(hexec client redis-cli -h "$S" GET ctr)
[ "$got" = "$N" ] || fail "counter is $got, want $N (lost or repeated commands)"
n=$(grep -c 'resumed after' "$T/incr.log")
[ "$n" -ge 2 ] || fail "expected 2 reconnections, saw $n"

out=$(hexec client "$ROCK" redis-benchmark -h "$S" -n 2000 -c 4 -t set,get -q 2>&1) ||
	fail "redis-benchmark under rock: $out"
echo "$out" | grep -q 'requests per second' || fail "redis-benchmark said: $out"
got=$(hexec client redis-cli -h "$S" PING)
[ "$got" = PONG ] || fail "a plain redis-cli was not served: $got"
pass "$N INCRs exactly once through 2 outages ($n reconnections); benchmark and plain client served"
