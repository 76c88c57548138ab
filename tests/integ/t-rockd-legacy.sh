#!/usr/bin/env bash
# rockd against legacy servers.  A plain redis-server and a plain nginx run
# on one host, rockd on another (two listeners from a configuration file:
# the general mode, and a static forward to nginx), the rock clients on a
# third.  redis-cli reaches redis through rockd by EVICT_ROCKS_VIA (rock
# --via: the EDP finds no rocks at redis); a paced download reaches nginx through the
# static listener.  Mid-way the client's link goes down for 30 s and its
# address changes: every INCR is answered exactly once, in order (the
# replies and the counter say so), the 16 MiB download has the file's
# SHA-256, and rockctl in the proxy host shows rockd's connections.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-peers.sh"
lib_init rockd-legacy
need_root
need_cmd redis-server redis-cli nginx curl jq
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
ROCKCTL=$PWD/$O/bin/rockctl
for f in "$ROCK" "$ROCKD" "$ROCKCTL"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done
N=1500
OUTAGE=${ROCKD_OUTAGE_S:-30}

host_add client
host_add proxy
host_add server
S=$(host_ip server)
P=$(host_ip proxy)
peer_redis server 6379 >/dev/null || fail "redis-server did not start"
peer_nginx server 80 >/dev/null || fail "nginx did not start"
www=$T/nginx-server-80/www
head -c 16M /dev/urandom >"$www/large.bin"
want_sha=$(sha256sum <"$www/large.bin" | cut -d' ' -f1)

cat >"$T/rockd.conf" <<CONF
# general mode: the client names the destination
listen 7000
listen 8080 to $S:80      # static: nginx
max-age 600
CONF
host_bg proxy "$T/rockd.log" env EVICT_LOG_LEVEL=info "$ROCKD" \
    -f "$T/rockd.conf" >/dev/null
wait_listen proxy 7000 5 && wait_listen proxy 8080 5 || fail "rockd did not start"

hexec client env EVICT_LOG_LEVEL=info "$ROCK" --via "$P:7000" redis-cli \
    -h "$S" -r "$N" -i 0.01 INCR ctr >"$T/incr.out" 2>"$T/incr.log" &
cli=$!
# a download paced by the program itself at 1 MiB/s (curl's --limit-rate
# once took the whole file in 5 s, before the outage began; and curl hangs
# in setlocale() with libasan preloaded)
hexec client env EVICT_LOG_LEVEL=info "$ROCK" python3 -c '
import sys, time, urllib.request
r = urllib.request.urlopen(sys.argv[1])
with open(sys.argv[2], "wb") as f:
    while True:
        b = r.read(65536)
        if not b: break
        f.write(b); time.sleep(0.0625)
' "http://$P:8080/large.bin" "$T/large.got" 2>"$T/curl.log" &
dl=$!
lib_sleep 3
out=$(hexec proxy "$ROCKCTL" --json list) || fail "rockctl list in the proxy host failed"
nr=$(echo "$out" | jq '[.. | objects | select(has("state")) | select(.state == "CONNECTED")] | length')
[ "$nr" -ge 2 ] || fail "rockctl shows $nr connected rocks in rockd, want 2: $out"

link_down client
lib_sleep "$OUTAGE"
new=$(addr_change client) || fail "addr_change client"
link_up client
lib_note "client back after $OUTAGE s at $new"
kill -0 "$cli" 2>/dev/null || fail "the INCRs ended before the outage was over"
kill -0 "$dl" 2>/dev/null || fail "the download ended before the outage was over"

wait "$cli" || fail "redis-cli under rock failed: $(tail -3 "$T/incr.log")"
wait "$dl" || fail "the download under rock failed: $(tail -3 "$T/curl.log")"
seq 1 "$N" >"$T/want"
cmp -s "$T/want" "$T/incr.out" ||
	fail "replies are not 1..$N in order: $(diff "$T/want" "$T/incr.out" | head -5)"
got=$(hexec server redis-cli GET ctr)
[ "$got" = "$N" ] || fail "counter is $got, want $N (lost or repeated commands)"
got_sha=$(sha256sum <"$T/large.got" | cut -d' ' -f1)
[ "$got_sha" = "$want_sha" ] || fail "download: sha $got_sha, want $want_sha"
grep -q 'connected through rockd' "$T/incr.log" || fail "redis-cli did not go through rockd"
n=$(cat "$T/incr.log" "$T/curl.log" | grep -c 'resumed after')
[ "$n" -ge 2 ] || fail "expected a reconnection per client, saw $n"
pass "$N INCRs exactly once and 16 MiB intact through rockd across a $OUTAGE s outage and an address change ($n reconnections)"
