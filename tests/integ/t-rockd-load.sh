#!/usr/bin/env bash
# Load: 500 concurrent rock connections from one client process, through
# one rockd, to a plain echo server; each streams 500 KiB paced over 50 s
# and checks its echo byte by byte.  The client's link goes down 5 times
# for 4 s meanwhile (every rock suspends and resumes each time).  All 500
# echoes must be intact; rockd's resident memory is reported and must stay
# under 1 GiB.
. "$(dirname "$0")/../lib.sh"
lib_init rockd-load
need_root
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
LOAD=$PWD/$O/tests/helpers/rockd-load
for f in "$ROCK" "$ROCKD" "$LOAD"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done
CONNS=${ROCKD_LOAD_CONNS:-500}
SECS=50

host_add client
host_add proxy
host_add server
S=$(host_ip server)
P=$(host_ip proxy)
host_bg server "$T/echo.log" "$LOAD" echo 9000 >/dev/null
wait_listen server 9000 5 || fail "the echo server did not start"
host_bg proxy "$T/rockd.log" env EVICT_LOG_LEVEL=info "$ROCKD" --listen 7000 \
    --to "$S:9000" >/dev/null
rockd=$LIB_BG_PID
wait_listen proxy 7000 5 || fail "rockd did not start"

hexec client env EVICT_LOG_LEVEL=warn "$ROCK" "$LOAD" client "$P" 7000 \
    "$CONNS" $((500 * 1024)) "$SECS" >"$T/load.out" 2>"$T/load.log" &
cli=$!
for i in $(seq 100); do
	grep -q 'connections open' "$T/load.log" && break
	kill -0 "$cli" 2>/dev/null || fail "the client failed: $(tail -3 "$T/load.log")"
	lib_sleep 0.2
done
grep -q 'connections open' "$T/load.log" || fail "the $CONNS connections did not open in 20 s"
for i in 1 2 3 4 5; do
	lib_sleep 3
	link_down client
	lib_sleep 4
	link_up client
	kill -0 "$rockd" 2>/dev/null || fail "rockd died in outage $i: $(tail -3 "$T/rockd.log")"
done
kill -0 "$cli" 2>/dev/null || fail "the streams ended before the outages were over"
lib_sleep 4
kill -USR1 "$rockd"
lib_sleep 0.5
wait "$cli" || fail "not every echo came back intact: $(cat "$T/load.out") $(tail -5 "$T/load.log")"
grep -q "^ok $CONNS bad 0" "$T/load.out" || fail "client said: $(cat "$T/load.out")"
stats=$(grep 'stats:' "$T/rockd.log" | tail -1)
rss=$(echo "$stats" | sed -n 's/.*rss \([0-9]*\) KiB.*/\1/p')
[ -n "$rss" ] || fail "no statistics line from rockd"
lib_note "rockd under load: $stats"
[ "$rss" -lt $((1024 * 1024)) ] || fail "rockd's resident memory is $rss KiB"
n=$(echo "$stats" | sed -n 's/.*stats: \([0-9]*\) connections.*/\1/p')
[ "$n" -eq "$CONNS" ] || fail "rockd relayed $n connections at the end of the outages, want $CONNS"
r=$(grep -c 'resumed after' "$T/rockd.log")
lib_note "$r reconnections in rockd"
[ "$r" -ge $((CONNS * 4)) ] || fail "only $r reconnections for $CONNS rocks and 5 outages"
pass "$CONNS rock streams through one rockd intact across 5 outages ($r reconnections); rockd rss $rss KiB"
